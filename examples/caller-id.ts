/**
 * Caller ID to name: a ringing call's number, in whatever format the trunk sends, is looked up in
 * Contacts, Leads and Accounts; the second ring is answered from the cache; directory search by name.
 *
 * Run: npx tsx examples/caller-id.ts   (embedded emulator; set ZOHO_* to use a real org)
 */
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{ names: Array<string | null>; directory: string[] }> {
  const { zoho, close } = await connect({
    lookup: { order: ['Contacts', 'Leads', 'Accounts'], timeoutMs: 1500 },
  });
  try {
    const sources: string[] = [];
    zoho.on('lookup', (e) => sources.push(e.source));
    const names: Array<string | null> = [];
    for (const callerId of [
      '+14155552671',
      'sip:+14155552671@trunk.example.net',
      '+1 212 555 0147',
      '+442079460958',
      '+15550100999',
    ]) {
      const match = await zoho.lookupCaller(callerId);
      names.push(match?.name ?? null);
      console.log(
        `${callerId.padEnd(36)} → ${match ? `${match.name} (${match.module}, ${match.source}) ${match.recordUrl}` : 'unknown caller'}`,
      );
    }
    console.log(`sources: ${sources.join(', ')}`);
    const directory = (await zoho.searchDirectory('Lovelace')).map(
      (p) => `${p.name}: ${p.phones.map((x) => x.e164).join(', ')}`,
    );
    console.log(`directory "Lovelace": ${directory.join('; ')}`);
    return { names, directory };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
