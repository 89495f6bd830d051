/** Journal operations for store tests. */
import type { JournalOp } from '../../src/journal/store.js';

/** Base time of the operations (2025-01-10). */
export const T = 1_736_540_000_000;

/** A minimal operation: `create:<callId>` ids are creates (with a call), others notes. */
export function op(id: string, callId: string, extra: Partial<JournalOp> = {}): JournalOp {
  const create = id.startsWith('create:');
  return {
    id,
    callId,
    kind: create ? 'create' : 'note',
    ...(create ? { call: { id: callId } as JournalOp['call'] } : { note: 'a note' }),
    createdAt: T,
    attempts: 0,
    nextAttemptAt: T,
    ...extra,
  };
}
