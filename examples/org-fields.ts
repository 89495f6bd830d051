/**
 * Journal parity with an org's own layout: a mandatory custom `Region` field on Calls filled by
 * `journal.fields`, the call's result and purpose in `Call_Result` / `Call_Purpose` (checked against the
 * picklists), a transferred call owned by the agent who ended it, and new Leads with `Lead_Source: 'Phone'`.
 *
 * Run: npx tsx examples/org-fields.ts   (embedded emulator; set ZOHO_* to use a real org with a Region field)
 */
import type { PbxCall } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{
  activity: Record<string, unknown> | undefined;
  lead: Record<string, unknown> | undefined;
  configErrors: string[];
}> {
  const { zoho, emulator, close } = await connect({
    journal: {
      // Every Calls record gets the org's mandatory Region; a typo here would be reported once (configError).
      fields: (call) => ({ Region: call.to.startsWith('+44') ? 'EMEA' : 'AMER' }),
    },
    createRecords: { type: 'Leads', fields: () => ({ Lead_Source: 'Phone' }) },
  });
  // The demo org's Calls layout makes a custom Region field mandatory.
  emulator?.addField('Calls', { apiName: 'Region', dataType: 'text', mandatory: true });
  const configErrors: string[] = [];
  zoho.on('configError', (e) => configErrors.push(e.error.message));
  try {
    const end = Date.now() - 60_000;
    const call: PbxCall = {
      id: `pbx-fields-${end}`,
      direction: 'inbound',
      trunk: true,
      from: '+1 (415) 555-0199',
      to: '+442079460100',
      agent: { extension: '201', name: 'Grace Hopper' },
      transfers: [{ at: new Date(end - 120_000), to: { extension: '202', name: 'Alan Turing' } }],
      startedAt: new Date(end - 262_000),
      answeredAt: new Date(end - 250_000),
      endedAt: new Date(end),
      status: 'answered',
      result: 'Requested call back',
      purpose: 'Demo',
    };
    const logged = await zoho.logCall(call);
    console.log(`logCall: ${logged.status}`);
    const lead = await zoho.createRecord({ phone: call.from, lastName: 'Doe', callId: call.id });
    const activity = emulator?.records('Calls').find((c) => c.id === logged.zohoCallId);
    if (activity) {
      console.log(
        `${activity.Subject} | Region ${activity.Region} | ${activity.Call_Result} | ${activity.Call_Purpose}`,
      );
      console.log(String(activity.Description));
    }
    const stored = emulator?.records('Leads').find((l) => l.id === lead.id);
    console.log(`lead: ${lead.name} (${stored?.Lead_Source ?? 'Lead_Source not read back'})`);
    return { activity, lead: stored, configErrors };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
