/**
 * What a connector knows about its Zoho org's undocumented behaviour (docs/zoho-facts.md Q1, Q4): how
 * `search?phone=` matches, how `Call_Duration` is read, how long a new record takes to become
 * searchable, which phone fields each module has and which Calls fields are mandatory. Measured by
 * `diagnose({ write: true })` or learned from the connector's own traffic, and kept with the tokens.
 *
 * @module
 */
import * as z from 'zod/mini';

/**
 * How Zoho's `search?phone=` matches a term against a stored phone value:
 * - `digits-contains`: the stored value's digits contain the term's digits;
 * - `digits-suffix`: one digit string ends with the other;
 * - `digits-exact`: the digit strings are equal;
 * - `exact`: the stored string equals the term as typed;
 * - `unknown`: not measured yet (lookups then use a strategy that is right under every reading).
 * @group Diagnose
 */
export type PhoneSearchReading = 'digits-contains' | 'digits-suffix' | 'digits-exact' | 'exact' | 'unknown';

/**
 * How Zoho reads the text of `Call_Duration`: `"10:00"` as ten minutes (`mm:ss`) or ten hours (`HH:mm`).
 * @group Diagnose
 */
export type DurationReading = 'mm:ss' | 'HH:mm' | 'unknown';

/** Where a calibrated fact came from. @group Diagnose */
export type CalibrationSource = 'diagnose' | 'traffic' | 'option';

/**
 * The org's measured behaviour. Stored with the connection's tokens (the `calibration` field of the
 * token document), so every process of a cluster uses what one of them measured.
 * @example
 * ```ts
 * const { calibration } = await zoho.diagnose({ write: true });
 * if (calibration.phoneSearch === 'exact') console.log('lookups escalate to COQL on a miss');
 * ```
 * @group Diagnose
 */
export interface OrgCalibration {
  /** How `search?phone=` matches. */
  phoneSearch: PhoneSearchReading;
  /** How `Call_Duration` is read. */
  durationFormat: DurationReading;
  /** How long a record written through the API takes to be found by search, in ms, when measured. */
  indexLagMs?: number;
  /** The fields of data type `phone` of each lookup module, when read from Zoho's field metadata. */
  phoneFields: Partial<Record<'Contacts' | 'Leads' | 'Accounts', string[]>>;
  /** Mandatory fields of Calls that the journal does not fill. */
  callsMandatoryFields: string[];
  /** When the calibration last changed, epoch ms. */
  measuredAt: number;
  /** How each measured fact was learned. */
  sources?: Partial<Record<'phoneSearch' | 'durationFormat' | 'indexLagMs', CalibrationSource>>;
}

const sourceOf = () => z.catch(z.optional(z.enum(['diagnose', 'traffic', 'option'])), undefined);
const fieldNames = () => z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.maxLength(200));

/** The stored calibration's schema: a document written by another version is read, never trusted. @internal */
export const OrgCalibrationSchema = z.lazy(() =>
  z.object({
    phoneSearch: z.catch(
      z.enum(['digits-contains', 'digits-suffix', 'digits-exact', 'exact', 'unknown']),
      'unknown',
    ),
    durationFormat: z.catch(z.enum(['mm:ss', 'HH:mm', 'unknown']), 'unknown'),
    indexLagMs: z.catch(z.optional(z.number().check(z.int(), z.gte(0), z.lte(86_400_000))), undefined),
    phoneFields: z.catch(
      z.object({
        Contacts: z.optional(fieldNames()),
        Leads: z.optional(fieldNames()),
        Accounts: z.optional(fieldNames()),
      }),
      {},
    ),
    callsMandatoryFields: z.catch(fieldNames(), []),
    // z.number() rejects Infinity and NaN already (classic zod's .finite() was a no-op).
    measuredAt: z.catch(z.number(), 0),
    sources: z.catch(
      z.optional(z.object({ phoneSearch: sourceOf(), durationFormat: sourceOf(), indexLagMs: sourceOf() })),
      undefined,
    ),
  }),
);

/** A calibration that knows nothing yet. @internal */
export function emptyCalibration(measuredAt = 0): OrgCalibration {
  return {
    phoneSearch: 'unknown',
    durationFormat: 'unknown',
    phoneFields: {},
    callsMandatoryFields: [],
    measuredAt,
  };
}

/**
 * Reads a stored calibration; anything unreadable becomes `unknown` field by field (a calibration only
 * saves requests, so a damaged one costs requests, never correctness). @internal
 */
export function readCalibration(value: unknown): OrgCalibration | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = OrgCalibrationSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const out: OrgCalibration = {
    phoneSearch: parsed.data.phoneSearch,
    durationFormat: parsed.data.durationFormat,
    phoneFields: parsed.data.phoneFields,
    callsMandatoryFields: parsed.data.callsMandatoryFields,
    measuredAt: parsed.data.measuredAt,
  };
  if (parsed.data.indexLagMs !== undefined) out.indexLagMs = parsed.data.indexLagMs;
  const sources = Object.fromEntries(
    Object.entries(parsed.data.sources ?? {}).filter(([, source]) => source !== undefined),
  );
  if (Object.keys(sources).length > 0) out.sources = sources;
  return out;
}

/** Whether a phone search miss under this reading proves the number is not stored (in the fields searched). @internal */
export function missIsTrusted(reading: PhoneSearchReading): boolean {
  return reading === 'digits-contains' || reading === 'digits-suffix';
}
