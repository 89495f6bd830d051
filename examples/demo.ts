/**
 * `npm run demo`: the whole PortSIP-style Zoho CRM integration, step by step, against the embedded Zoho
 * CRM emulator (no Zoho account needed). Prints what a PBX would see at each step and ends with the API
 * calls and credits it spent.
 */
import {
  type CallerMatch,
  type ConnectorOptions,
  createMemoryStore,
  type PbxCall,
  verifyPublicLink,
  ZohoCrmConnector,
} from 'zoho-crm-connector';
import { startZohoEmulator } from 'zoho-crm-connector/testing';
import { EXAMPLE_CLIENT, realZohoConfigured, runIfMain, seedSampleData } from './connect.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, title: string) => console.log(`\n${bold(`${n}. ${title}`)}`);
const show = (label: string, value: unknown) => console.log(`   ${label.padEnd(22)} ${value}`);
const who = (m: CallerMatch | null) =>
  m ? `${m.name} (${m.module}${m.account ? `, ${m.account.name}` : ''}) via ${m.source}` : 'unknown';

export interface DemoResult {
  region: string;
  contact: string | null;
  lead: string | null;
  pbx: string | null;
  createdLead: string;
  calls: number;
  notes: number;
  requests: number;
  credits: number;
}

export async function main(): Promise<DemoResult> {
  if (realZohoConfigured()) {
    console.log(
      [
        'ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REGION are set, so you can run the same against your own org:',
        '  1. register http://localhost:3000/api/auth/callback/zoho as redirect URI of your Zoho client, then',
        '  2. ZOHO_REDIRECT_URI=http://localhost:3000/api/auth/callback/zoho ZOHO_TOKEN_KEY=$(openssl rand -base64 32) \\',
        '     npx tsx examples/oauth-callback-server.ts      and open http://localhost:3000/authorize',
        '  3. with the same variables: npx tsx examples/caller-id.ts, examples/journal-call.ts, …',
        'The demo below uses the embedded emulator either way.',
      ].join('\n'),
    );
  }
  const started = performance.now();
  console.log(bold('zoho-crm-connector demo: a PBX tenant connected to Zoho CRM (embedded emulator)'));

  // The org lives in the EU data centre; the admin will pick "United States" by mistake.
  const emu = await startZohoEmulator({
    autoConsent: true,
    dataCenter: 'EU',
    edition: 'Enterprise',
    timeZone: 'Europe/London',
  });
  try {
    emu.registerClient({ ...EXAMPLE_CLIENT, redirectUris: [EXAMPLE_CLIENT.redirectUri] });
    seedSampleData(emu);
    const tokenStore = createMemoryStore();
    const options: ConnectorOptions = {
      connectionId: 'tenant-42',
      ...EXAMPLE_CLIENT,
      region: 'US',
      edition: 'Enterprise',
      tokenStore,
      endpoints: { regions: emu.regions },
      lookup: { order: ['Contacts', 'Leads', 'Accounts'], query: 'always', defaultCountry: 'US' },
      journal: { enabled: true, recordingLink: 'private' },
      createRecords: { enabled: true, type: 'Leads' },
    };
    const zoho = new ZohoCrmConnector(options);

    step(1, 'The admin clicks "Authorize"');
    const { url } = await zoho.authorizationUrl();
    const authorize = new URL(url);
    show('consent page', `${authorize.origin}${authorize.pathname}`);
    show('scopes', authorize.searchParams.get('scope')?.split(',').length ?? 0);
    const consent = await fetch(url, { redirect: 'manual' });
    const callback = consent.headers.get('location') ?? '';
    show('Zoho redirects to', `${callback.split('?')[0]}?code=…&state=…`);
    const { region, apiDomain } = await zoho.handleCallback(callback);
    show('region picked', 'US');
    show('region detected', `${region} (from the callback's accounts-server)`);
    show('API domain', apiDomain);

    step(2, 'An inbound call rings: +1 415 555 2671 (stored in Zoho as "(415) 555-2671")');
    const contact = await zoho.lookupCaller('+1 415 555 2671');
    show('caller ID', who(contact));
    show('screen pop', contact?.recordUrl);
    const again = await zoho.lookupCaller('sip:+14155552671@trunk.example.net;user=phone');
    show('second ring', `${who(again)} (no API call)`);

    step(3, 'Another call: +1 212 555 0147, not a Contact');
    const lead = await zoho.lookupCaller('+12125550147');
    show('caller ID', who(lead));

    step(4, 'Query CRM "only when not found in PBX contacts"');
    const pbxMode = new ZohoCrmConnector({
      ...options,
      lookup: { ...options.lookup, query: 'whenNotFoundInPbx' },
      pbxContacts: { lookup: (e164) => (e164 === '+14155550100' ? { name: 'Reception (PBX)' } : undefined) },
    });
    const before = emu.stats().totalRequests;
    const pbx = await pbxMode.lookupCaller('(415) 555-0100');
    show('caller ID', `${who(pbx)}; Zoho requests: ${emu.stats().totalRequests - before}`);
    await pbxMode.close();

    step(5, 'An unknown caller: +44 7700 900461; the agent creates a Lead');
    const unknown = await zoho.lookupCaller('+44 7700 900461');
    show('caller ID', who(unknown));
    const created = await zoho.createRecord({
      phone: '+44 7700 900461',
      firstName: 'Jane',
      lastName: 'Doe',
      company: 'Acme',
    });
    show('created', `${created.name} (${created.module}) ${created.recordUrl}`);
    show('next ring', who(await zoho.lookupCaller('+447700900461')));

    step(6, 'Calls end and are journaled as Zoho CRM call activities');
    const now = Date.now();
    const inbound: PbxCall = {
      id: 'pbx-call-1001',
      direction: 'inbound',
      trunk: true,
      from: '+14155552671',
      to: '+442079460100',
      agent: { extension: '201', email: 'agent@example.com', name: 'Alex Agent' },
      startedAt: new Date(now - 300_000),
      answeredAt: new Date(now - 290_000),
      endedAt: new Date(now - 38_000),
      status: 'answered',
      recording: { url: 'https://pbx.example.com/recordings/1001.wav' },
      notes: ['Asked about the enterprise plan'],
    };
    const outbound: PbxCall = {
      id: 'pbx-call-1002',
      direction: 'outbound',
      trunk: true,
      from: '+442079460100',
      to: '+447700900461',
      agent: { extension: '201' },
      startedAt: new Date(now - 200_000),
      answeredAt: new Date(now - 190_000),
      endedAt: new Date(now - 100_000),
      status: 'answered',
      recording: { url: 'https://pbx.example.com/recordings/1002.wav' },
    };
    const missed: PbxCall = {
      id: 'pbx-call-1003',
      direction: 'inbound',
      trunk: true,
      from: '+12125550147',
      to: '+442079460100',
      startedAt: new Date(now - 60_000),
      endedAt: new Date(now - 45_000),
      status: 'missed',
    };
    const internal: PbxCall = {
      ...missed,
      id: 'pbx-call-1004',
      trunk: false,
      direction: 'internal',
      from: '201',
      to: '202',
    };
    for (const call of [inbound, outbound, missed, internal]) {
      const result = await zoho.logCall(call);
      show(
        `${call.direction} ${call.status}`,
        `${result.status}${result.zohoCallId ? ` → Calls/${result.zohoCallId}` : ''}${result.reason ? ` (${result.reason})` : ''}`,
      );
    }
    const redelivered = await zoho.logCall(inbound);
    show(
      'same call redelivered',
      `${redelivered.status} → Calls/${redelivered.zohoCallId} (nothing written)`,
    );

    step(7, 'Public recording links and a late AI transcription');
    const secret = 'demo-public-link-secret-0123456789';
    const publicLinks = new ZohoCrmConnector({
      ...options,
      journal: { enabled: true, recordingLink: 'public', publicLinks: { secret, ttlSeconds: 7 * 86_400 } },
    });
    const publicCall: PbxCall = {
      ...outbound,
      id: 'pbx-call-1005',
      recording: { url: 'https://pbx.example.com/recordings/1005.wav' },
    };
    const logged = await publicLinks.logCall(publicCall);
    const activity = emu.records('Calls').find((c) => c.id === logged.zohoCallId);
    const link = String(activity?.Voice_Recording__s ?? '');
    show('public link', link);
    show('link verifies', JSON.stringify(await verifyPublicLink(link, { secret })));
    await publicLinks.close();
    await zoho.attachToCall(inbound.id, {
      transcription: {
        url: 'https://pbx.example.com/transcripts/1001',
        summary: 'Customer wants 20 seats; send a quote by Friday.',
      },
    });
    show('transcription', 'attached to the same activity');

    step(8, 'The agent adds a note');
    const note = await zoho.addCallNote(inbound.id, 'Send the quote to ada@example.com');
    show('note', `${note.status} on Calls/${note.zohoCallId}`);

    step(9, 'The softphone searches the directory for "Lovelace"');
    for (const person of await zoho.searchDirectory('Lovelace')) {
      show(person.name, person.phones.map((p) => `${p.field} ${p.e164}`).join(', '));
    }

    await zoho.flush();
    const stats = emu.stats();
    const calls = emu.records('Calls');
    const notes = emu.records('Notes');
    step(10, 'Summary');
    show('Calls activities', calls.length);
    show('notes', notes.length);
    show('API requests', stats.totalRequests);
    show('API credits used', `${stats.creditsUsed} of ${stats.creditLimit.toLocaleString('en-US')} per day`);
    show('token grants / refreshes', `${stats.tokenGrants} / ${stats.refreshes}`);
    show('elapsed', `${Math.round(performance.now() - started)} ms`);
    await zoho.close();
    return {
      region,
      contact: contact?.name ?? null,
      lead: lead?.name ?? null,
      pbx: pbx?.name ?? null,
      createdLead: created.name,
      calls: calls.length,
      notes: notes.length,
      requests: stats.totalRequests,
      credits: stats.creditsUsed,
    };
  } finally {
    await emu.close();
  }
}

await runIfMain(import.meta, main);
