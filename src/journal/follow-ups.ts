/**
 * Writing follow-ups of calls already logged: notes (`POST /Notes`, up to 100 per request), late
 * updates (`PUT /Calls`: recording and transcription links appended to the same activity, or a record
 * link) and missed-call tasks (`tasks.ts`). Follow-ups of a call not logged yet are held until it is.
 *
 * @module
 */
import { createNotes } from '../crm/notes.js';
import { getRecord, updateRecords, type WriteOutcome } from '../crm/records.js';
import { chunk, forEachLimit } from './batch.js';
import { type Group, type JournalContext, linkFor } from './context.js';
import type { DurationCheck } from './duration-learning.js';
import { failOutcome, handleFailure, hold, MISSING_OUTCOME, removeOp } from './fate.js';
import { bmpSafe, type CallUpdateInput, callUpdateLines, toCallUpdate } from './map-call.js';
import { MAX_TEXT_LENGTH } from './pbx-call.js';
import type { CallUpdate } from './store.js';
import { writeTasks } from './tasks.js';

/** Writes the notes and updates of these groups (see the module notes). @internal */
export async function writeFollowUps(ctx: JournalContext, groups: Group[]): Promise<void> {
  const ready: Group[] = [];
  for (const group of groups) {
    const id = group.zohoCallId ?? (await ctx.store.getLogged(ctx.cid, group.callId));
    if (!id) {
      for (const op of [...group.notes, ...group.updates, ...group.tasks]) await hold(ctx, op);
      continue;
    }
    group.zohoCallId = id;
    ready.push(group);
  }
  await writeNotes(ctx, ready);
  await writeUpdates(
    ctx,
    ready.filter((g) => g.updates.length > 0),
  );
  await writeTasks(
    ctx,
    ready.filter((g) => g.tasks.length > 0),
  );
}

async function writeNotes(ctx: JournalContext, groups: Group[]): Promise<void> {
  const { options } = ctx;
  const notes = groups.flatMap((g) => g.notes.map((op) => ({ op, parentId: g.zohoCallId as string })));
  await forEachLimit(chunk(notes, 100), ctx.writeConcurrency, async (items) => {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await createNotes(
        ctx.http,
        items.map(({ op, parentId }) => ({
          parentModule: 'Calls',
          parentId,
          content: noteText(op.note ?? ''),
          ...(options.noteTitle ? { title: options.noteTitle } : {}),
        })),
      );
    } catch (error) {
      const jitter = ctx.random();
      for (const { op } of items) await handleFailure(ctx, op, error, jitter);
      return;
    }
    for (const [index, { op, parentId }] of items.entries()) {
      const outcome = outcomes[index] ?? MISSING_OUTCOME;
      if (outcome.ok) {
        await removeOp(ctx, op);
        ctx.counters.notes++;
        ctx.waiters.settle(op.id, { status: 'logged', zohoCallId: parentId });
      } else {
        await failOutcome(ctx, op, outcome, 'POST /Notes');
      }
    }
  });
}

async function writeUpdates(ctx: JournalContext, all: Group[]): Promise<void> {
  const { fixes, groups } = await settleDurations(ctx, all);
  const records: Array<{ group: Group; record: Record<string, unknown> & { id: string } }> = [];
  await forEachLimit(groups, ctx.lookupConcurrency, async (group) => {
    try {
      const record = await buildUpdate(ctx, group);
      const fix = fixes.get(group.callId);
      if (fix) record.Call_Duration = fix;
      if (Object.keys(record).length > 1) records.push({ group, record });
      else await completeUpdates(ctx, group, false);
    } catch (error) {
      for (const op of group.updates) await handleFailure(ctx, op, error);
    }
  });
  await forEachLimit(chunk(records, ctx.options.batchSize), ctx.writeConcurrency, async (items) => {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await updateRecords(
        ctx.http,
        'Calls',
        items.map((item) => item.record),
      );
    } catch (error) {
      const jitter = ctx.random();
      for (const { group } of items)
        for (const op of group.updates) await handleFailure(ctx, op, error, jitter);
      return;
    }
    for (const [index, { group }] of items.entries()) {
      const outcome = outcomes[index] ?? MISSING_OUTCOME;
      if (outcome.ok) await completeUpdates(ctx, group, true);
      else for (const op of group.updates) await failOutcome(ctx, op, outcome, 'PUT /Calls');
    }
  });
}

async function completeUpdates(ctx: JournalContext, group: Group, written: boolean): Promise<void> {
  for (const op of group.updates) {
    await removeOp(ctx, op);
    ctx.waiters.settle(op.id, { status: 'logged', zohoCallId: group.zohoCallId as string });
  }
  // A duration check that needed no correction changed nothing.
  if (written || group.updates.some((op) => !op.update?.duration)) ctx.counters.updates++;
}

/**
 * Settles the duration checks among these groups' updates (`duration-learning.ts`): the corrected
 * `Call_Duration` per call, and the groups to write. A read that failed retries the checks' groups later.
 */
async function settleDurations(
  ctx: JournalContext,
  groups: Group[],
): Promise<{ fixes: Map<string, string>; groups: Group[] }> {
  const checks: DurationCheck[] = [];
  for (const group of groups) {
    for (const op of group.updates) {
      const duration = op.update?.duration;
      if (!duration) continue;
      checks.push({ callId: group.callId, zohoCallId: group.zohoCallId as string, ...duration });
    }
  }
  if (checks.length === 0) return { fixes: new Map(), groups };
  try {
    return { fixes: await ctx.durations.settle(checks), groups };
  } catch (error) {
    const jitter = ctx.random();
    const failed = new Set(checks.map((check) => check.callId));
    for (const group of groups) {
      if (!failed.has(group.callId)) continue;
      for (const op of group.updates) await handleFailure(ctx, op, error, jitter);
    }
    return { fixes: new Map(), groups: groups.filter((group) => !failed.has(group.callId)) };
  }
}

/** The update record for a group's late links and record link; reads the description only when it grows. */
async function buildUpdate(
  ctx: JournalContext,
  group: Group,
): Promise<Record<string, unknown> & { id: string }> {
  const { options } = ctx;
  const id = group.zohoCallId as string;
  const merged: CallUpdate = {};
  for (const op of [...group.updates].sort((a, b) => a.createdAt - b.createdAt))
    Object.assign(merged, op.update);
  const input: CallUpdateInput = {
    recordingUrl: await linkFor(ctx, merged.recording?.url, options.recordingLink),
    transcriptionUrl: await linkFor(ctx, merged.transcription?.url, options.transcriptionLink),
    transcriptionSummary: merged.transcription?.summary,
    link: merged.link,
  };
  const mapping = { recordingTarget: options.recordingTarget, omitFields: ctx.omitFields };
  let existing: string | undefined;
  if (callUpdateLines(input, mapping)) {
    const current = await getRecord(ctx.http, 'Calls', id);
    existing = typeof current?.Description === 'string' ? current.Description : undefined;
  }
  return toCallUpdate(id, input, mapping, existing);
}

function noteText(note: string): string {
  const clean = bmpSafe(note);
  return clean.length > MAX_TEXT_LENGTH ? clean.slice(0, MAX_TEXT_LENGTH) : clean || note;
}
