/**
 * Reading back the missed-call tasks Zoho stored, for task inserts whose answer was lost. Zoho offers no
 * upsert on Tasks (the Upsert page does not list it, docs/zoho-facts.md §6), so, as for Calls
 * (`read-back.ts`), a task insert is made idempotent by looking before sending again: every task's
 * description ends with its call's marker line (`PBX call ID: …` / `Journal ref: …`), and the query takes
 * the Tasks due on the days the lost inserts sent (`Due_Date` between the first and the last), 50 tasks a
 * query, matching the marker line exactly.
 *
 * @module
 */
import { chunk } from './batch.js';
import type { JournalContext } from './context.js';
import { callMarker } from './map-call.js';
import { eachRow } from './read-back.js';
import type { JournalOp } from './store.js';

const PER_QUERY = 50;

/**
 * Finds the Tasks records Zoho stored for these task operations (each has `task.dueDate`, set when it
 * was sent).
 * @returns PBX call id → Zoho task id, for the tasks found.
 * @throws What the COQL request throws (the tasks are then retried later, still unsent).
 * @internal
 */
export async function readBackTasks(
  ctx: Pick<JournalContext, 'http' | 'logger' | 'options'>,
  ops: readonly JournalOp[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const byDay = [...ops].sort((a, b) => dueOf(a).localeCompare(dueOf(b)));
  for (const part of chunk(byDay, PER_QUERY)) {
    const markers = new Map(part.map((op) => [callMarker(op.callId, ctx.options.includeCallId), op.callId]));
    const from = dueOf(part[0] as JournalOp);
    const to = dueOf(part.at(-1) as JournalOp);
    const query = `select id, Description from Tasks where (Due_Date >= '${from}' and Due_Date <= '${to}')`;
    await eachRow(ctx, query, (row) => {
      if (typeof row.Description !== 'string') return;
      for (const line of row.Description.split('\n')) {
        const callId = markers.get(line);
        if (callId !== undefined && !found.has(callId)) found.set(callId, row.id);
      }
    });
  }
  ctx.logger.info({ asked: ops.length, found: found.size }, 'journal read back Tasks after a lost answer');
  return found;
}

function dueOf(op: JournalOp): string {
  const day = op.task?.dueDate;
  // Only ever set by the journal (`yyyy-MM-dd`); anything else cannot be quoted into a query.
  return day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : '1970-01-01';
}
