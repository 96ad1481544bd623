import { startSlapd } from './slapd';

// A standalone OpenLDAP for docker-compose: the same slapd.conf, lockout policy and base entries
// that dev mode and the tests use. Settings come from the environment.

const password = process.env.TENURE_LDAP_BIND_PASSWORD;
if (!password) {
  console.error('TENURE_LDAP_BIND_PASSWORD must be set');
  process.exit(1);
}
const slapd = await startSlapd({
  dir: process.env.SLAPD_DIR ?? '/var/lib/tenure-ldap',
  port: Number(process.env.SLAPD_PORT ?? 389),
  host: process.env.SLAPD_HOST ?? '0.0.0.0',
  suffix: process.env.TENURE_LDAP_BASE_DN ?? 'dc=tenure,dc=test',
  adminPassword: password,
});
console.log(`[ldap] slapd serving ${slapd.suffix} on port ${process.env.SLAPD_PORT ?? 389}; bind as ${slapd.adminDn}`);
slapd.process.once('exit', (code) => process.exit(code ?? 1));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void slapd.stop().then(() => process.exit(0)));
}
