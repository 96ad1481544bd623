import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/client';
import { hashPass, savePass } from '../../db/queries/access-passes';
import { upsertIdentityRecord } from '../../db/queries/identities';
import { insertRun, insertTaskRuns } from '../../db/queries/lifecycle-runs';
import { saveDefinition } from '../../db/queries/lifecycle-workflows';
import { validateDefinition } from '../../domain/lifecycle-workflows';
import { resolveWorkerRecord, type DatePolicy } from '../../domain/worker-record';
import { identityWorkflowId } from '../../workflows/messages';
import { workerRecord } from './builders';

// Rows written straight into a test file's database, for API tests that need a person, a
// pass or a waiting run to exist without running the workflows that would make them.

const policy: DatePolicy = { defaultTimeZone: 'UTC', hireLocalTime: '06:00', leaveLocalTime: '18:00' };

/** An identity row as the person's workflow would have stored it. */
export async function seedIdentity(db: Db, employeeId: string): Promise<void> {
  const resolved = resolveWorkerRecord(employeeId, workerRecord(), policy);
  if (!resolved.ok) throw new Error(`invalid seed record: ${JSON.stringify(resolved.errors)}`);
  await upsertIdentityRecord(db, resolved.record, identityWorkflowId(employeeId));
}

/** A live temporary access pass for the person, stored hashed as the task stores it. */
export async function seedPass(db: Db, employeeId: string, pass: string, options: { oneTime?: boolean } = {}): Promise<void> {
  const salt = randomBytes(16).toString('hex');
  await savePass(db, {
    id: randomBytes(8).toString('hex'),
    employeeId,
    salt,
    hash: hashPass(salt, pass),
    oneTime: options.oneTime ?? false,
    expiresAt: new Date(Date.now() + 3600_000),
    runId: `seed-${randomBytes(4).toString('hex')}`,
    taskId: 'tap',
  });
}

/** A lifecycle run whose custom extension task waits for the extension's signed answer. */
export async function seedWaitingExtensionRun(db: Db, options: { employeeId: string; extension: string }): Promise<{ runId: string; taskId: string }> {
  const definitionId = `ext-${randomBytes(4).toString('hex')}`;
  const result = validateDefinition(
    {
      id: definitionId,
      name: 'Waits for an extension',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      tasks: [{ id: 'ticket', type: 'run-custom-extension', args: { extension: options.extension, mode: 'launch-and-wait' } }],
    },
    { extensions: [options.extension] },
  );
  if (!result.ok) throw new Error(`invalid seed definition: ${JSON.stringify(result.errors)}`);
  const { version } = await saveDefinition(db, result.definition, { source: 'api', actor: 'seed' });
  const runId = `lifecycle-${definitionId}-${options.employeeId}-ondemand-${randomBytes(4).toString('hex')}`;
  await insertRun(db, {
    id: runId,
    workflowId: definitionId,
    version,
    employeeId: options.employeeId,
    category: 'joiner',
    trigger: 'on demand',
    triggerKey: runId,
    scheduledFor: new Date(),
    requestedBy: 'seed',
    status: 'in_progress',
  });
  await insertTaskRuns(db, [{ runId, position: 0, taskId: 'ticket', taskType: 'run-custom-extension', taskName: 'ticket', status: 'waiting' }]);
  return { runId, taskId: 'ticket' };
}
