import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

// Installs Debian packages the project needs when they are missing and we are root with apt;
// otherwise says what to install. The package scripts never start services (policy-rc.d).

export function ensureDebianPackages(packages: string[], probe: string): void {
  if (existsSync(probe)) return;
  const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
  if (!canInstall) throw new Error(`${probe} is missing. Install it with: sudo apt-get install ${packages.join(' ')}`);
  console.log(`[debian] installing ${packages.join(' ')} …`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
      const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
    }
  } finally {
    if (ownPolicy) spawnSync('rm', ['-f', policy]);
  }
}
