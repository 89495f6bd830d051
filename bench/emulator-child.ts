/**
 * The Zoho emulator for bench/server.ts, in a process of its own (as Zoho is remote, its CPU is not the
 * service's): one OAuth client, one contact, credits without limit. Prints its US endpoints as one JSON
 * line, then serves until SIGTERM.
 */
import { startZohoEmulator } from '../src/testing/index.js';

const emulator = await startZohoEmulator({
  autoConsent: true,
  edition: 'Ultimate',
  creditLimit: Number.POSITIVE_INFINITY,
  requestLogSize: 0,
});
emulator.registerClient({
  clientId: '1000.BENCH',
  clientSecret: 'bench-secret-value',
  redirectUris: ['http://127.0.0.1/api/auth/callback/zoho'],
});
emulator.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+14155552671' }]);
process.stdout.write(`${JSON.stringify(emulator.regions.US)}\n`);
process.once('SIGTERM', async () => {
  await emulator.close();
  process.exit(0);
});
