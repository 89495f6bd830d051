/**
 * A PBX call-event webhook turned into connector calls: `call.ringing` answers with the caller's name
 * (for the phone's display), `call.ended` logs the call. The event shape below is illustrative of what a
 * PBX such as PortSIP posts; map your PBX's real field names in `toPbxCall`.
 *
 * Run: npx tsx examples/portsip-webhook.ts   (embedded emulator; the example posts two events to itself)
 */
import { createServer, type IncomingMessage } from 'node:http';
import { isZohoCrmError, type PbxCall, type ZohoCrmConnector } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

/** A call event as the PBX posts it. */
export interface PbxCallEvent {
  event: 'call.ringing' | 'call.ended';
  call_id: string;
  direction: 'inbound' | 'outbound' | 'internal';
  /** Name of the trunk the call used; absent for extension-to-extension calls. */
  trunk?: string;
  caller: string;
  callee: string;
  extension?: string;
  agent_email?: string;
  started_at?: string;
  answered_at?: string;
  ended_at?: string;
  result?: 'answered' | 'missed' | 'busy' | 'failed' | 'voicemail';
  recording_url?: string;
}

/** Pure mapping: the PBX's event → the connector's host-neutral PbxCall. */
export function toPbxCall(event: PbxCallEvent): PbxCall {
  return {
    id: event.call_id,
    direction: event.direction,
    trunk: Boolean(event.trunk),
    from: event.caller,
    to: event.callee,
    ...(event.extension
      ? { agent: { extension: event.extension, ...(event.agent_email ? { email: event.agent_email } : {}) } }
      : {}),
    startedAt: event.started_at ?? new Date().toISOString(),
    ...(event.answered_at ? { answeredAt: event.answered_at } : {}),
    endedAt: event.ended_at ?? new Date().toISOString(),
    status: event.result ?? 'missed',
    ...(event.recording_url ? { recording: { url: event.recording_url } } : {}),
  };
}

async function readJson(req: IncomingMessage): Promise<PbxCallEvent> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body) as PbxCallEvent;
}

/** The webhook handler for one tenant's connector. */
export function webhook(zoho: ZohoCrmConnector) {
  return createServer(async (req, res) => {
    try {
      const event = await readJson(req);
      const reply =
        event.event === 'call.ringing'
          ? {
              name:
                (await zoho.lookupCaller(event.direction === 'inbound' ? event.caller : event.callee))
                  ?.name ?? null,
            }
          : await zoho.logCall(toPbxCall(event));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
    } catch (error) {
      res
        .writeHead(isZohoCrmError(error) ? 422 : 400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ error: isZohoCrmError(error) ? error.code : 'bad request' }));
    }
  });
}

export async function main(): Promise<{ ringing: unknown; ended: unknown; internal: unknown }> {
  const { zoho, close } = await connect();
  const server = webhook(zoho);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const post = async (event: PbxCallEvent) =>
    (
      await fetch(url, {
        method: 'POST',
        body: JSON.stringify(event),
        headers: { 'Content-Type': 'application/json' },
      })
    ).json();
  try {
    const end = Date.now() - 30_000;
    const base = {
      call_id: `ps-${end}`,
      direction: 'inbound' as const,
      trunk: 'sip-trunk-1',
      caller: '+442079460958',
      callee: '8001',
    };
    const ringing = await post({ ...base, event: 'call.ringing' });
    console.log('call.ringing →', ringing);
    const ended = await post({
      ...base,
      event: 'call.ended',
      extension: '201',
      started_at: new Date(end - 95_000).toISOString(),
      answered_at: new Date(end - 90_000).toISOString(),
      ended_at: new Date(end).toISOString(),
      result: 'answered',
      recording_url: `https://pbx.example.com/recordings/ps-${end}.wav`,
    });
    console.log('call.ended   →', ended);
    const internal = await post({
      ...base,
      call_id: `ps-int-${end}`,
      event: 'call.ended',
      direction: 'internal',
      trunk: undefined,
      caller: '201',
      callee: '202',
      result: 'answered',
      started_at: new Date(end - 5_000).toISOString(),
      answered_at: new Date(end - 4_000).toISOString(),
      ended_at: new Date(end).toISOString(),
    });
    console.log('internal     →', internal);
    return { ringing, ended, internal };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await close();
  }
}

await runIfMain(import.meta, main);
