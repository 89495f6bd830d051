/**
 * The recipes of docs/pbx-service.md, run as written: every `sh` block marked `# recipe:` is executed by
 * bash (curl) against a real service on loopback and the emulator, and must succeed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectorRegistry, createConnectorRegistry } from '../../src/registry/registry.js';
import { createPbxService, type ListeningServer } from '../../src/server/index.js';
import { consent, multiTenantWorld, type World } from '../registry/helpers.js';

const run = promisify(execFile);
const KEY = 'recipes-api-key-0123456789abcdef';
const doc = readFileSync(new URL('../../docs/pbx-service.md', import.meta.url), 'utf8');
const recipes = [...doc.matchAll(/```sh\n# recipe: ([\w-]+)\n([\s\S]*?)```/g)].map(([, name, script]) => ({
  name: name as string,
  script: script as string,
}));

let world: World;
let registry: ConnectorRegistry;
let server: ListeningServer;

beforeAll(async () => {
  world = await multiTenantWorld();
  registry = createConnectorRegistry({
    ...world.base,
    connectorOptions: () => ({ pbxContacts: { lookup: () => undefined } }),
  });
  const service = createPbxService({ registry, apiKeys: [KEY], settingsStore: world.settingsStore });
  server = await service.listen({ port: 0 });
  world.us.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
  const { url } = await registry.authorizationUrl('a');
  await registry.handleCallback(await consent(url));
});

afterAll(async () => {
  await server.close();
  await registry.close();
  await world.close();
});

const sh = (script: string) =>
  run('bash', ['-euo', 'pipefail', '-c', script], {
    env: { ...process.env, PBX: server.url, PBX_API_KEY: KEY, TENANT: 'a' },
  });

describe('docs/pbx-service.md recipes', () => {
  it('has the recipes the guide promises', () => {
    expect(recipes.map((recipe) => recipe.name)).toEqual([
      'asterisk-caller-name',
      'freeswitch-caller-name',
      '3cx-lookup',
      'webhook-call-note-transcription',
      'create-lead',
    ]);
  });

  it('Asterisk and FreeSWITCH get the bare name for CALLERID(name)', async () => {
    for (const name of ['asterisk-caller-name', 'freeswitch-caller-name']) {
      const recipe = recipes.find((r) => r.name === name);
      expect((await sh(recipe?.script ?? 'false')).stdout, name).toBe('Ada Lovelace');
    }
  });

  it('3CX gets the match with the fields its template maps', async () => {
    const recipe = recipes.find((r) => r.name === '3cx-lookup');
    const body = JSON.parse((await sh(recipe?.script ?? 'false')).stdout) as {
      match: Record<string, string>;
    };
    expect(body.match).toMatchObject({ name: 'Ada Lovelace', module: 'Contacts' });
    expect(body.match.recordUrl).toMatch(/^https:\/\/crm\.zoho\.com\//);
  });

  it('the webhook journals the call once, with its note and transcription on the same activity', async () => {
    const recipe = recipes.find((r) => r.name === 'webhook-call-note-transcription');
    const script = recipe?.script ?? 'false';
    await sh(script);
    await sh(script.split('\ncurl ')[0] as string); // the call's webhook, delivered again
    expect(script.split('\ncurl ')).toHaveLength(3);
    await (await registry.get('a')).flush();
    const calls = world.us.records('Calls');
    expect(calls).toHaveLength(1);
    expect(String(calls[0]?.Description)).toContain('https://pbx.example.com/ai/1001');
    const notes = world.us.records('Notes');
    expect(notes.filter((note) => String(note.Note_Content).includes('callback on Monday'))).toHaveLength(1);
  });

  it('creates a Lead for an unknown number', async () => {
    const recipe = recipes.find((r) => r.name === 'create-lead');
    const body = JSON.parse((await sh(recipe?.script ?? 'false')).stdout) as { match: { module: string } };
    expect(body.match.module).toBe('Leads');
    expect(world.us.records('Leads')).toHaveLength(1);
  });
});
