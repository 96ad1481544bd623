import { DateTime } from 'luxon';
import { parseSignedDuration, personAttributes, type DefinitionVersion, type Trigger } from './lifecycle-workflows';
import { evaluateRule, parseRule, type Attributes } from './rules';
import { isStorableInstant, parseExactDuration } from './time';

// When lifecycle workflows run for a person: the instant of each time trigger in the person's
// time zone, catch-up for instants that passed while data changed, and which change and group
// triggers fire. Pure: the identity workflow asks it through an activity, the preview directly.

export interface PersonFacts {
  employeeId: string;
  /** Scope rules see these. */
  attributes: Attributes;
  hireAt: number;
  leaveAt?: number;
  /** When Tenure first heard of the person (the "created" trigger). */
  createdAt: number;
  timeZone: string;
  /** HR withdrew the record: nothing runs. */
  withdrawn: boolean;
}

/** What a lifecycle run workflow starts with. */
export interface RunInput {
  runId: string;
  employeeId: string;
  definitionId: string;
  triggerKey: string;
  trigger: string;
  scheduledFor: number;
  requestedBy: string;
  /** For mover mails: the values before the change. */
  previous?: Record<string, string | undefined>;
  /** Run again for the tasks that did not complete (an operator asked). */
  retry?: boolean;
}

export interface PlannedRun {
  definitionId: string;
  version: number;
  /** Identifies one firing of one definition, so it never starts twice. */
  key: string;
  at: number;
  /** Human words for the trigger, e.g. "hireDate -P7D". */
  trigger: string;
}

export interface RunPlan {
  /** Instant reached (and within catch-up): start now. */
  due: PlannedRun[];
  upcoming: PlannedRun[];
  /** Instant passed longer ago than the catch-up window. */
  missed: PlannedRun[];
  outOfScope: { definitionId: string; version: number; at?: number }[];
}

export function inScope(definition: Pick<DefinitionVersion, 'scope' | 'caseSensitive'>, attributes: Attributes): boolean {
  if (!definition.scope) return true;
  // Attribute names match in any case, as validation accepted them.
  return evaluateRule(parseRule(definition.scope, { attributes: personAttributes }), attributes, { caseSensitive: definition.caseSensitive });
}

type TimeTrigger = Extract<Trigger, { type: 'time' }>;

/** A saved offset in milliseconds; undefined for one saved before offsets were bounded, which no run can use. */
function storedOffset(offset: string): number | undefined {
  try {
    return parseSignedDuration(offset);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * The instant a time trigger fires for this person, or undefined when its base date is unknown
 * or the offset carries it beyond the instants that can be stored (a definition saved before offsets were bounded).
 */
export function triggerInstant(trigger: TimeTrigger, person: PersonFacts): number | undefined {
  const base = trigger.on === 'hireDate' ? person.hireAt : trigger.on === 'leaveDate' ? person.leaveAt : person.createdAt;
  const offset = storedOffset(trigger.offset);
  if (base === undefined || offset === undefined) return undefined;
  const shifted = base + offset;
  if (!isStorableInstant(shifted)) return undefined;
  if (!trigger.localTime) return shifted;
  const [hour, minute, second = 0] = trigger.localTime.split(':').map(Number);
  const local = DateTime.fromMillis(shifted, { zone: person.timeZone }).set({ hour, minute, second, millisecond: 0 }).toMillis();
  return isStorableInstant(local) ? local : undefined;
}

export function runKey(definitionId: string, trigger: string, base: number | string): string {
  return `${definitionId}|${trigger}|${base}`;
}

/** Time-triggered runs for one person; `started` holds keys of runs already started. */
export function planTimeTriggeredRuns(definitions: DefinitionVersion[], person: PersonFacts, now: number, started: ReadonlySet<string>): RunPlan {
  const plan: RunPlan = { due: [], upcoming: [], missed: [], outOfScope: [] };
  if (person.withdrawn) return plan;
  for (const definition of definitions) {
    if (!definition.enabled || definition.trigger.type !== 'time') continue;
    const { trigger } = definition;
    const at = triggerInstant(trigger, person);
    if (at === undefined) continue;
    const base = trigger.on === 'hireDate' ? person.hireAt : trigger.on === 'leaveDate' ? person.leaveAt! : person.createdAt;
    const run: PlannedRun = {
      definitionId: definition.id,
      version: definition.version,
      key: runKey(definition.id, trigger.on, base),
      at,
      trigger: `${trigger.on} ${trigger.offset}${trigger.localTime ? ` at ${trigger.localTime}` : ''}`,
    };
    if (started.has(run.key)) continue;
    if (!inScope(definition, person.attributes)) {
      plan.outOfScope.push({ definitionId: definition.id, version: definition.version, at });
    } else if (at > now) {
      plan.upcoming.push(run);
    } else if (now - at <= parseExactDuration(definition.catchUp)) {
      plan.due.push(run);
    } else {
      plan.missed.push(run);
    }
  }
  plan.upcoming.sort((a, b) => a.at - b.at);
  plan.due.sort((a, b) => a.at - b.at);
  return plan;
}

export interface AttributeChange {
  attribute: string;
  from: string | undefined;
  to: string | undefined;
}

const same = (a: string | undefined, b: string, caseSensitive: boolean) =>
  a !== undefined && (caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase());

/** Definitions whose attribute-change trigger matches these changes, for a person in scope afterwards. */
export function matchAttributeChange(definitions: DefinitionVersion[], person: PersonFacts, changes: AttributeChange[]): DefinitionVersion[] {
  if (person.withdrawn || changes.length === 0) return [];
  return definitions.filter((definition) => {
    const { trigger } = definition;
    if (!definition.enabled || trigger.type !== 'attribute-change') return false;
    const relevant = changes.filter((c) => (trigger.attributes as string[]).includes(c.attribute));
    if (relevant.length === 0) return false;
    const matchesBound = (bound: Record<string, string> | undefined, side: 'from' | 'to') =>
      !bound ||
      Object.entries(bound).every(([attribute, value]) => {
        const change = changes.find((c) => c.attribute === attribute);
        return change !== undefined && same(change[side], value, definition.caseSensitive);
      });
    return matchesBound(trigger.from, 'from') && matchesBound(trigger.to, 'to') && inScope(definition, person.attributes);
  });
}

export interface GroupChange {
  group: string;
  change: 'added' | 'removed';
}

export function matchGroupChange(definitions: DefinitionVersion[], person: PersonFacts, change: GroupChange): DefinitionVersion[] {
  if (person.withdrawn) return [];
  return definitions.filter(
    (definition) =>
      definition.enabled &&
      definition.trigger.type === 'group-change' &&
      definition.trigger.change === change.change &&
      definition.trigger.group.toLowerCase() === change.group.toLowerCase() &&
      inScope(definition, person.attributes),
  );
}
