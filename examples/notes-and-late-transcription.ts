/**
 * Notes at any time and a transcription that arrives minutes after the call: a note written before the
 * call is logged is held and lands on the activity; the late AI transcription is added to the same
 * activity, never a second one.
 *
 * Run: npx tsx examples/notes-and-late-transcription.ts
 */
import type { PbxCall } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{ activities: number; notes: string[]; description: string }> {
  const { zoho, emulator, close } = await connect();
  try {
    const end = Date.now() - 120_000;
    const call: PbxCall = {
      id: `pbx-notes-${end}`,
      direction: 'outbound',
      trunk: true,
      from: '+442079460100',
      to: '+12125550147',
      agent: { extension: '202' },
      startedAt: new Date(end - 185_000),
      answeredAt: new Date(end - 180_000),
      endedAt: new Date(end),
      status: 'answered',
    };
    // During the call the agent types a note: the call is not logged yet, so the note is held.
    console.log(
      `note during the call: ${(await zoho.addCallNote(call.id, 'Interested in the annual plan')).status}`,
    );
    const logged = await zoho.logCall(call);
    console.log(`call logged: ${logged.status} → Calls/${logged.zohoCallId}`);
    console.log(`note after the call: ${(await zoho.addCallNote(call.id, 'Send pricing by Friday')).status}`);
    // Minutes later the AI transcription is ready.
    const attached = await zoho.attachToCall(call.id, {
      transcription: {
        url: `https://pbx.example.com/transcripts/${end}`,
        summary: 'Wants annual pricing for 20 seats.',
      },
    });
    console.log(`transcription: ${attached.status}`);
    await zoho.flush();
    const activities = (emulator?.records('Calls') ?? []).filter((c) => c.id === logged.zohoCallId);
    const notes = (emulator?.records('Notes') ?? [])
      .filter((n) => (n.Parent_Id as { id?: string } | undefined)?.id === logged.zohoCallId)
      .map((n) => String(n.Note_Content));
    const description = String(activities[0]?.Description ?? '');
    console.log(`activities for the call: ${activities.length}; notes: ${notes.join(' | ')}`);
    console.log(`description:\n${description}`);
    return { activities: activities.length, notes, description };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
