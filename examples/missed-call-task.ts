/**
 * Missed-call tasks: a missed inbound call becomes a Calls activity plus one "Call back …" Tasks record,
 * linked to the caller's Contact (and its Account) and owned like the call; a redelivered call adds none.
 * The connector asks for the Tasks scopes (`TASK_SCOPES`) because the option is on.
 *
 * Run: npx tsx examples/missed-call-task.ts   (embedded emulator; set ZOHO_* to use a real org)
 */
import type { PbxCall } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{ tasks: Array<Record<string, unknown>>; again: string }> {
  const { zoho, emulator, close } = await connect({
    journal: { missedCallTask: { enabled: true, dueInMinutes: 120 } },
  });
  try {
    const end = Date.now() - 60_000;
    const call: PbxCall = {
      id: `pbx-missed-${end}`,
      direction: 'inbound',
      trunk: true,
      from: '+1 (415) 555-2671',
      to: '+442079460100',
      agent: { extension: '201', email: 'agent@example.com' },
      startedAt: new Date(end - 30_000),
      endedAt: new Date(end),
      status: 'no-answer',
    };
    const first = await zoho.logCall(call);
    console.log(`logCall: ${first.status} ${first.zohoCallId ?? ''}`);
    const again = await zoho.logCall(call); // the PBX retries its webhook
    console.log(`redelivered: ${again.status} (no second activity, no second task)`);
    await zoho.flush();
    const marker = `PBX call ID: ${call.id}`;
    const tasks = (emulator?.records('Tasks') ?? []).filter((t) => String(t.Description).includes(marker));
    for (const task of tasks)
      console.log(`task: ${task.Subject} | due ${task.Due_Date} | ${task.$se_module}`);
    console.log(`tasks written: ${(await zoho.journalStats()).tasks}`);
    return { tasks, again: again.status };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
