/**
 * Create Contacts for new numbers: an unknown caller rings, the agent creates a Lead from the PBX client,
 * the next ring shows the name at once, and asking again does not create a duplicate.
 *
 * Run: npx tsx examples/create-lead.ts
 */
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{
  before: string | null;
  created: string;
  after: string | null;
  sameRecord: boolean;
}> {
  const { zoho, close } = await connect({ createRecords: { enabled: true, type: 'Leads' } });
  try {
    const number = '+44 7700 900777';
    const before = await zoho.lookupCaller(number);
    console.log(`ringing ${number}: ${before?.name ?? 'unknown caller'}`);
    const created = await zoho.createRecord({
      phone: number,
      firstName: 'Jane',
      lastName: 'Doe',
      company: 'Acme Ltd',
    });
    console.log(`created ${created.module}: ${created.name} ${created.recordUrl}`);
    const after = await zoho.lookupCaller(number);
    console.log(`next ring: ${after?.name} (${after?.source})`);
    const again = await zoho.createRecord({ phone: number, lastName: 'Doe' });
    console.log(
      `create again: ${again.id === created.id ? 'the existing record, no duplicate' : 'a new record'}`,
    );
    return {
      before: before?.name ?? null,
      created: created.name,
      after: after?.name ?? null,
      sameRecord: again.id === created.id,
    };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
