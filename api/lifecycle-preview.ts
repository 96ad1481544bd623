import type { DbOrTx } from '../db/client';
import { identityFacts, type IdentityRow } from '../db/queries/identities';
import { listDefinitions } from '../db/queries/lifecycle-workflows';
import { listRuns } from '../db/queries/lifecycle-runs';
import { inScope, planTimeTriggeredRuns, triggerInstant } from '../domain/lifecycle-runs';

// Which lifecycle workflows apply to a person and when their runs start: for the API's preview
// and the portal's person timeline.

export const previewStatuses = ['scheduled', 'due', 'ran', 'missed', 'out-of-scope', 'not-applicable', 'on-change', 'on-group-change', 'on-demand'] as const;
export type PreviewStatus = (typeof previewStatuses)[number];

export interface PreviewItem {
  workflowId: string;
  name: string;
  category: string;
  version: number;
  trigger: string;
  status: PreviewStatus;
  at: string | null;
  runId: string | null;
}

export async function lifecyclePreview(db: DbOrTx, identity: IdentityRow, at: Date): Promise<PreviewItem[]> {
  const now = at.getTime();
  const employeeId = identity.employeeId;
  const [definitions, runs] = await Promise.all([listDefinitions(db, { enabledOnly: true }), listRuns(db, { employeeId, limit: 1000 })]);
  const ran = new Map(runs.map((run) => [run.triggerKey, run.id]));
  const person = identityFacts(identity, identity.state === 'cancelled');
  // The same planner the person's workflow asks, with the runs that already happened.
  const plan = planTimeTriggeredRuns(definitions, person, now, new Set());
  const statusOf = new Map<string, { status: PreviewStatus; at: number; key: string }>();
  for (const [status, list] of [['scheduled', plan.upcoming], ['due', plan.due], ['missed', plan.missed]] as const) {
    for (const run of list) statusOf.set(run.definitionId, { status, at: run.at, key: run.key });
  }
  return definitions.map((definition): PreviewItem => {
    const base = { workflowId: definition.id, name: definition.name, category: definition.category, version: definition.version };
    const { trigger } = definition;
    if (trigger.type !== 'time') {
      const status = trigger.type === 'attribute-change' ? ('on-change' as const) : trigger.type === 'group-change' ? ('on-group-change' as const) : ('on-demand' as const);
      return { ...base, trigger: trigger.type as string, status: inScope(definition, person.attributes) ? status : ('out-of-scope' as const), at: null, runId: null };
    }
    const describe = `${trigger.on} ${trigger.offset}${trigger.localTime ? ` at ${trigger.localTime}` : ''}`;
    const planned = statusOf.get(definition.id);
    if (!planned) {
      const at = triggerInstant(trigger, person);
      const status = at === undefined || person.withdrawn ? ('not-applicable' as const) : ('out-of-scope' as const);
      return { ...base, trigger: describe, status, at: at === undefined ? null : new Date(at).toISOString(), runId: null };
    }
    const runId = ran.get(planned.key) ?? null;
    return { ...base, trigger: describe, status: runId ? ('ran' as const) : planned.status, at: new Date(planned.at).toISOString(), runId };
  });
}
