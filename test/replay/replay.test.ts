import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { expect, inject, it } from 'vitest';

// Today's workflow code must replay the histories of workflows that are already running
// (recorded by scripts/record-histories.ts): otherwise a deploy would break them.

const dir = join(import.meta.dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.binpb'));

it('has recorded histories to replay', () => {
  expect(files.filter((f) => f.startsWith('identity-')).length).toBeGreaterThanOrEqual(4);
  expect(files.filter((f) => f.startsWith('lifecycle-')).length).toBeGreaterThanOrEqual(2);
});

it.each(files)('replays %s', async (file) => {
  const history = proto.temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file.replace(/\.binpb$/, ''));
});
