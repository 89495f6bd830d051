/**
 * Staying in step with Zoho: `zoho.watchChanges()` subscribes to Zoho's change notifications for the
 * lookup modules, and a small HTTP route hands every notification to `zoho.handleNotification()`, which
 * drops what the change makes stale from the caller-ID cache. Here a caller is cached, a user renames the
 * contact in Zoho (simulated in the emulator), the notification arrives, and the next ring shows the new
 * name. The notifications scope is asked for at authorization, on top of the defaults.
 *
 * Emulator only: against a real org the notify URL must be a public https address that reaches this
 * route. Run: npx tsx examples/watch-changes.ts
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SCOPES, ErrorCode, isZohoCrmError, NOTIFICATION_SCOPES } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

export async function main(): Promise<{ before: string | null; after: string | null; invalidated: number }> {
  const { zoho, emulator, close } = await connect({ scopes: [...DEFAULT_SCOPES, ...NOTIFICATION_SCOPES] });
  // A random secret per channel: Zoho sends it back in every notification, and only those are accepted.
  const channelToken = randomBytes(24).toString('base64url');
  let invalidated = 0;

  // The notify route of your service: the body to handleNotification; 204, or 403/400 when refused.
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const result = await zoho.handleNotification(Buffer.concat(chunks).toString('utf8'), { channelToken });
      console.log(`${result.module} ${result.operation}: ${result.invalidated} cached number(s) dropped`);
      invalidated += result.invalidated;
      res.writeHead(204).end();
    } catch (error) {
      const denied = isZohoCrmError(error) && error.code === ErrorCode.NOTIFICATION_TOKEN_MISMATCH;
      res.writeHead(denied ? 403 : 400).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    if (!emulator) throw new Error('This example runs against the embedded emulator only (see its header).');
    const notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoho/notifications`;
    const watch = await zoho.watchChanges({ notifyUrl, channelToken });
    console.log(
      `watching channel ${watch.channelId} until ${watch.expiresAt.toISOString()} (renewed before)`,
    );

    const before = await zoho.lookupCaller('+1 415 555 2671');
    console.log(`ring: ${before?.name}`);

    // A user renames the contact in Zoho's UI; Zoho notifies the channel.
    const ada = emulator.records('Contacts').find((r) => r.Last_Name === 'Lovelace');
    emulator.updateRecord('Contacts', String(ada?.id), { Last_Name: 'King' });
    await emulator.notificationsDelivered();

    const after = await zoho.lookupCaller('+1 415 555 2671');
    console.log(`next ring: ${after?.name}`);
    await watch.stop(); // disables the channel at Zoho
    return { before: before?.name ?? null, after: after?.name ?? null, invalidated };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await close();
  }
}

await runIfMain(import.meta, main);
