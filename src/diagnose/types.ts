/**
 * The public shape of `diagnose()`: its checks, its report and its options.
 *
 * @module
 */
import type { OrgCalibration } from '../calibration/calibration.js';

/**
 * A check's stable id, in report order:
 * - `authorization`: tokens are stored and an access token can be had;
 * - `scopes`: the granted scopes against what the configured features need;
 * - `credits`: the API credits Zoho reports left (it reports them only past half the day's allowance);
 * - `phone-fields`: the phone fields of Contacts, Leads and Accounts, custom ones included;
 * - `calls-fields`: mandatory Calls fields the journal does not fill;
 * - `users`: the org's active users (call owners) and the journal's owner options;
 * - `time-zone`: the authorizing user's time zone (journal start times);
 * - `phone-search`, `call-duration`, `index-lag`: the write probes (`{ write: true }` only).
 * @group Diagnose
 */
export type DiagnoseCheckId =
  | 'authorization'
  | 'scopes'
  | 'credits'
  | 'phone-fields'
  | 'calls-fields'
  | 'users'
  | 'time-zone'
  | 'phone-search'
  | 'call-duration'
  | 'index-lag';

/**
 * A check's outcome: `fail` means the connector will not work as configured (the report's `ok` is
 * false); `warn` means it works at a cost or with a gap; `skip` means the check did not run (its
 * `summary` says why, naming a missing scope when that is the reason).
 * @group Diagnose
 */
export type DiagnoseStatus = 'pass' | 'warn' | 'fail' | 'skip';

/**
 * One check of a {@link DiagnoseReport}.
 * @example
 * ```ts
 * const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.summary);
 * ```
 * @group Diagnose
 */
export interface DiagnoseCheck {
  /** Stable id (see {@link DiagnoseCheckId}). */
  id: DiagnoseCheckId;
  /** The outcome. */
  status: DiagnoseStatus;
  /** One line for a person: what was found, or why the check was skipped. */
  summary: string;
  /** What the check measured, as plain JSON (field names, counts, search terms and hits, …). */
  details?: Record<string, unknown>;
}

/**
 * What `diagnose()` found.
 * @example
 * ```ts
 * const report = await zoho.diagnose();
 * if (!report.ok) console.table(report.checks.filter((check) => check.status === 'fail'));
 * ```
 * @group Diagnose
 */
export interface DiagnoseReport {
  /** False when any check failed. */
  ok: boolean;
  /** Every check, in the order of {@link DiagnoseCheckId}. */
  checks: DiagnoseCheck[];
  /** The calibration after this run (stored with the tokens when the connection is authorized). */
  calibration: OrgCalibration;
}

/**
 * The clock the write probes wait with (polling the search index). Tests pass the emulator's.
 * @example
 * ```ts
 * const clock: DiagnoseClock = { now: () => emu.now(), sleep: async (ms) => emu.advanceTime(ms) };
 * ```
 * @group Diagnose
 */
export interface DiagnoseClock {
  /** Current time, epoch ms. */
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Options of `diagnose()`.
 * @example
 * ```ts
 * const report = await zoho.diagnose({ write: true, maxIndexWaitMs: 30_000 });
 * ```
 * @group Diagnose
 */
export interface DiagnoseOptions {
  /**
   * Also run the write probes: create one test Lead and one test Call, measure, and delete both. They
   * need `ZohoCRM.modules.leads.DELETE` and `ZohoCRM.modules.calls.DELETE` (see `DIAGNOSE_SCOPES`).
   * @default false
   */
  write?: boolean;
  /** Longest wait for the test Lead to become searchable, in ms (1,000 to 600,000). @default 60000 */
  maxIndexWaitMs?: number;
  /** Aborts the run: checks cut short fail with `ABORTED`; the test records are still deleted. */
  signal?: AbortSignal;
  /** The clock to poll with. @default the system clock */
  clock?: DiagnoseClock;
}
