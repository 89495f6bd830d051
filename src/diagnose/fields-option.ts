/**
 * Which Calls fields `journal.fields` fills, for the `calls-fields` check: the function is called with three
 * sample calls (inbound answered, inbound missed, outbound) and the fields it fills for all of them count as
 * filled. A function that throws fills nothing. Pure apart from running the host's function.
 *
 * @module
 */
import { toCallActivity } from '../journal/map-call.js';
import type { JournalFieldsFunction } from '../journal/map-fields.js';
import type { NormalizedCall } from '../journal/pbx-call.js';

const AT = Date.UTC(2025, 0, 10, 19, 0, 0);
const BASE = { trunk: true, startedAt: AT, endedAt: AT + 120_000, agent: { extension: '201' } } as const;
const SAMPLES: NormalizedCall[] = [
  {
    ...BASE,
    id: 'diagnose-sample-1',
    direction: 'inbound',
    from: '+14155552671',
    to: '+14155550100',
    answeredAt: AT + 10_000,
    status: 'answered',
  },
  {
    ...BASE,
    id: 'diagnose-sample-2',
    direction: 'inbound',
    from: '+14155552671',
    to: '+14155550100',
    status: 'missed',
  },
  {
    ...BASE,
    id: 'diagnose-sample-3',
    direction: 'outbound',
    from: '+14155550100',
    to: '+14155552671',
    answeredAt: AT + 10_000,
    status: 'answered',
  },
];

/**
 * The fields `journal.fields` fills for every sample call (non-null values), with the first sample's values.
 * @param fields - The option, if set.
 * @returns The fields; empty without the option or when it throws.
 * @internal
 */
export function fieldsFilledByOption(fields: JournalFieldsFunction | undefined): Record<string, unknown> {
  if (!fields) return {};
  let common: Set<string> | undefined;
  let first: Record<string, unknown> | undefined;
  for (const call of SAMPLES) {
    let extra: unknown;
    try {
      extra = fields(call, toCallActivity(call, null, { timeZone: 'UTC', defaultCountry: 'US' }));
    } catch {
      return {};
    }
    if (extra && typeof extra === 'object') first ??= extra as Record<string, unknown>;
    const names = new Set(
      extra && typeof extra === 'object'
        ? Object.entries(extra)
            .filter(([, value]) => value !== undefined && value !== null && value !== '')
            .map(([name]) => name)
        : [],
    );
    common = common ? new Set([...common].filter((name) => names.has(name))) : names;
  }
  return Object.fromEntries([...(common ?? [])].map((name) => [name, first?.[name]]));
}
