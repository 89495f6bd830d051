/**
 * Notes on CRM records, in the v8 shape (`Parent_Id` is an object naming the module). Thin I/O.
 *
 * @module
 */
import type { ZohoHttp } from '../http/client.js';
import { toOutcomes, type WriteOutcome } from './records.js';
import { WriteResponseSchema } from './schemas.js';

/** A note to create. @internal */
export interface NoteInput {
  parentModule: string;
  parentId: string;
  content: string;
  title?: string;
}

/** `POST /Notes` with up to 100 notes; per-note outcomes in request order. @internal */
export async function createNotes(
  http: ZohoHttp,
  notes: readonly NoteInput[],
  signal?: AbortSignal,
): Promise<WriteOutcome[]> {
  const { data } = await http.request({
    method: 'POST',
    path: '/Notes',
    body: {
      data: notes.map((note) => ({
        ...(note.title ? { Note_Title: note.title } : {}),
        Note_Content: note.content,
        Parent_Id: { module: { api_name: note.parentModule }, id: note.parentId },
      })),
    },
    schema: WriteResponseSchema,
    recordResultStatuses: [400],
    ...(signal ? { signal } : {}),
  });
  return toOutcomes(data?.data);
}
