#!/usr/bin/env node
// postgres.js 3.4.9 (the newest) can write to a connection's socket after the server closed it:
// `nextWrite` runs from a setImmediate once `closed()` has set the socket to null, and its
// TypeError escapes every caller as an uncaught exception that kills the API or the worker the
// moment PostgreSQL goes away (porsager/postgres#1154, #1208; fixes proposed in #1168, #1209).
// Until a release carries a fix, this guard drops the buffered write of a closed connection —
// whose queries closed() has already rejected with CONNECTION_CLOSED — and clears the buffer so
// nothing of it reaches the next socket. Idempotent; run after every install.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const unguarded = 'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const guarded = 'function nextWrite(fn) {\n    if (!socket) { chunk = nextWriteTimer = null; return false } // tenure: porsager/postgres#1208\n    const x = socket.write(chunk, fn)';

let patched = 0;
for (const variant of ['src', 'cjs/src', 'cf/src']) {
  const file = join(root, 'node_modules', 'postgres', variant, 'connection.js');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  if (text.includes(guarded)) continue;
  if (!text.includes(unguarded)) {
    console.warn(`[tenure] ${file}: nextWrite is not the one this guard knows; check whether postgres.js fixed it`);
    continue;
  }
  writeFileSync(file, text.replace(unguarded, guarded));
  patched++;
}
if (patched) console.log(`[tenure] postgres.js: guarded nextWrite against a closed socket in ${patched} file(s)`);
