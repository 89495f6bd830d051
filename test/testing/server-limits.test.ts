/**
 * Finding 8 of issue 12: the emulator's node:http server checks the token before it reads a body, caps
 * the body, and closes sockets that send too slowly. Bytes are measured with the server's own counter
 * (`bodyBytesRead`), never with RSS or timing.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/index.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
const running: ZohoEmulator[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

async function emulator(options: Parameters<typeof startZohoEmulator>[0] = {}) {
  const emu = await startZohoEmulator(options);
  running.push(emu);
  emu.registerClient({ clientId: '1000.LIMITS', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
  return emu;
}

/**
 * POSTs up to `totalBytes` of JSON-ish bytes in 64 KB chunks (back-pressured), stopping as soon as the
 * answer arrives. Resolves with the status and how much was written.
 */
function bigPost(url: string, headers: Record<string, string>, totalBytes: number) {
  return new Promise<{ status: number; written: number }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    let status: number | undefined;
    let written = 0;
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      resolve({ status, written });
      req.destroy();
    });
    req.on('error', (error) => (status === undefined ? reject(error) : undefined));
    const chunk = Buffer.alloc(CHUNK, 0x20);
    const pump = () => {
      while (status === undefined && written < totalBytes) {
        written += chunk.byteLength;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (status === undefined) req.end();
    };
    pump();
  });
}

/** Opens a raw socket, sends `text` and resolves once the server closes it. */
function sendAndAwaitClose(emu: ZohoEmulator, text: string) {
  const { port } = new URL(emu.url);
  const socket = connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  return new Promise<{ answer: string }>((resolve) => {
    let answer = '';
    socket.on('data', (data) => {
      answer += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer }));
    socket.write(text);
  });
}

describe('finding 8: the emulator checks auth before the body, caps it, and closes slow sockets', () => {
  it('refuses an unauthenticated big POST before reading its body', async () => {
    const emu = await emulator();
    const answer = await bigPost(`${emu.apiUrl}/crm/v8/Contacts`, {}, 64 * MB);
    expect(answer.status).toBe(401);
    expect(emu.bodyBytesRead).toBe(0);
    expect(answer.written).toBeLessThan(64 * MB);
  });

  it('answers 413 for a body over the cap without buffering past it (chunked, no Content-Length)', async () => {
    const maxBodyBytes = 256 * 1024;
    const emu = await emulator({ maxBodyBytes });
    const { accessToken } = emu.issueTokens();
    const answer = await bigPost(
      `${emu.apiUrl}/crm/v8/Contacts`,
      { authorization: `Zoho-oauthtoken ${accessToken}` },
      64 * MB,
    );
    expect(answer.status).toBe(413);
    // At most the cap plus the network chunk that crossed it.
    expect(emu.bodyBytesRead).toBeGreaterThan(maxBodyBytes);
    expect(emu.bodyBytesRead).toBeLessThanOrEqual(maxBodyBytes + CHUNK);
    expect(emu.records('Contacts')).toHaveLength(0);
  });

  it('answers 413 for a declared Content-Length over the cap before reading a byte', async () => {
    const emu = await emulator({ maxBodyBytes: 1024 });
    const { accessToken } = emu.issueTokens();
    const answer = await bigPost(
      `${emu.accountsUrl}/oauth/v2/token`,
      { authorization: `Zoho-oauthtoken ${accessToken}`, 'content-length': String(4 * MB) },
      4 * MB,
    );
    expect(answer.status).toBe(413);
    expect(emu.bodyBytesRead).toBe(0);
  });

  it('still serves bodies under the cap, and keeps the default cap at Zoho’s 20 MB', async () => {
    const emu = await emulator({ maxBodyBytes: 64 * 1024 });
    const { accessToken } = emu.issueTokens();
    const res = await fetch(`${emu.apiUrl}/crm/v8/Contacts`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ Last_Name: 'Lovelace' }] }),
    });
    expect(res.status).toBe(201);
    expect(emu.records('Contacts')).toHaveLength(1);
    expect(emu.bodyBytesRead).toBeGreaterThan(0);
  });

  it('closes a socket that never finishes its headers (slow loris)', async () => {
    const emu = await emulator({ headersTimeoutMs: 100, requestTimeoutMs: 200 });
    const { answer } = await sendAndAwaitClose(emu, 'POST /api/us/crm/v8/Contacts HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a socket that never finishes its body', async () => {
    const emu = await emulator({ headersTimeoutMs: 100, requestTimeoutMs: 200 });
    const { answer } = await sendAndAwaitClose(
      emu,
      'POST /accounts/us/oauth/v2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant',
    );
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses timeouts and caps that are not positive integers', async () => {
    await expect(startZohoEmulator({ maxBodyBytes: 0 })).rejects.toThrow(RangeError);
    await expect(startZohoEmulator({ headersTimeoutMs: 500, requestTimeoutMs: 100 })).rejects.toThrow(
      /headersTimeoutMs/,
    );
  });
});
