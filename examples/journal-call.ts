/**
 * Call journal: a finished trunk call becomes a Zoho CRM Calls activity on the caller's record, owned by
 * the agent, with the recording link; redelivering the same call writes nothing.
 *
 * Run: npx tsx examples/journal-call.ts   (embedded emulator; set ZOHO_* to use a real org)
 */
import type { PbxCall } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{
  first: string;
  again: string;
  activity: Record<string, unknown> | undefined;
}> {
  const { zoho, emulator, close } = await connect({ journal: { enabled: true, recordingLink: 'private' } });
  try {
    zoho.on('callLogged', (e) =>
      console.log(`callLogged: ${e.callId} → Calls/${e.zohoCallId} (${e.linkedTo?.module ?? 'no record'})`),
    );
    const end = Date.now() - 60_000;
    const call: PbxCall = {
      id: `pbx-${end}`,
      direction: 'inbound',
      trunk: true,
      from: '+1 (415) 555-2671',
      to: '+442079460100',
      agent: { extension: '201', email: 'agent@example.com' },
      startedAt: new Date(end - 262_000),
      answeredAt: new Date(end - 250_000),
      endedAt: new Date(end),
      status: 'answered',
      recording: { url: `https://pbx.example.com/recordings/${end}.wav` },
    };
    const first = await zoho.logCall(call);
    console.log(`logCall: ${first.status} ${first.zohoCallId ?? ''}`);
    const again = await zoho.logCall(call);
    console.log(`redelivered: ${again.status} ${again.zohoCallId ?? ''} (no second activity)`);
    await zoho.flush();
    const activity = emulator?.records('Calls').find((c) => c.id === first.zohoCallId);
    if (activity) {
      console.log(
        `activity: ${activity.Subject} | ${activity.Call_Type} | ${activity.Call_Start_Time} | ${activity.Call_Duration} | ${activity.Voice_Recording__s}`,
      );
    }
    return { first: first.status, again: again.status, activity };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
