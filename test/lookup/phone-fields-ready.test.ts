/**
 * `ready()`: the phone fields a lookup can use without waiting. A lookup asks it first and skips a turn
 * of the event loop when the answer is in hand; it must never answer something `of()` would not.
 */
import { describe, expect, it } from 'vitest';
import { TransportError, ZohoApiError } from '../../src/errors.js';
import type { ZohoHttp, ZohoRequest } from '../../src/http/client.js';
import { noopLogger } from '../../src/logger.js';
import { MODULE_FIELDS } from '../../src/lookup/modules.js';
import { createPhoneFieldResolver } from '../../src/lookup/phone-fields.js';

/** An HTTP client whose field-metadata answers the test hands out one by one. */
function metadataClient() {
  const answers: Array<{ resolve(phones: readonly string[]): void; reject(error: Error): void }> = [];
  const http: ZohoHttp = {
    async request<T>(_request: ZohoRequest<T>) {
      const phones = await new Promise<readonly string[]>((resolve, reject) => {
        answers.push({ resolve, reject });
      });
      const fields = phones.map((api_name) => ({ api_name, data_type: 'phone' }));
      return { status: 200, headers: new Headers(), data: { fields } as T };
    },
    queued: 0,
  };
  return { http, answers };
}

const resolverOn = (http: ZohoHttp, discover = true) =>
  createPhoneFieldResolver({ http, discover, logger: noopLogger, now: () => 0 });

describe('PhoneFieldResolver.ready', () => {
  it('has nothing before the read settles, then exactly what of() answers', async () => {
    const { http, answers } = metadataClient();
    const resolver = resolverOn(http);
    expect(resolver.ready('Contacts')).toBeUndefined();
    const pending = resolver.of('Contacts');
    expect(resolver.ready('Contacts')).toBeUndefined();
    answers[0]?.resolve(['Phone', 'Work_Phone']);
    const read = await pending;
    expect(read).toEqual({ fields: ['Phone', 'Work_Phone'], complete: true });
    expect(resolver.ready('Contacts')).toBe(read);
    expect(await resolver.of('Contacts')).toBe(read);
    expect(resolver.ready('Leads')).toBeUndefined(); // per module
  });

  it('has nothing after a read that failed: the next lookup reads again', async () => {
    const { http, answers } = metadataClient();
    const resolver = resolverOn(http);
    const pending = resolver.of('Leads');
    answers[0]?.reject(new TransportError('NETWORK', 'down', { method: 'GET', path: '/settings/fields' }));
    await expect(pending).rejects.toThrow('down');
    expect(resolver.ready('Leads')).toBeUndefined();
    const again = resolver.of('Leads');
    expect(answers).toHaveLength(2);
    answers[1]?.resolve(['Phone']);
    expect(resolver.ready('Leads')).toBeUndefined();
    await again;
    expect(resolver.ready('Leads')).toEqual({ fields: ['Phone'], complete: true });
  });

  it('has nothing after an error answer (the fallback fields): the next lookup reads again', async () => {
    const { http, answers } = metadataClient();
    const resolver = resolverOn(http);
    const pending = resolver.of('Contacts');
    answers[0]?.reject(
      new ZohoApiError('bad request', {
        status: 400,
        method: 'GET',
        path: '/settings/fields',
        zohoCode: 'INVALID_DATA',
      }),
    );
    expect(await pending).toMatchObject({ fields: MODULE_FIELDS.Contacts.phone, complete: false });
    expect(resolver.ready('Contacts')).toBeUndefined();
    void resolver.of('Contacts');
    expect(answers).toHaveLength(2);
  });

  it('without discovery, has the standard fields at once and reads nothing', async () => {
    const { http, answers } = metadataClient();
    const resolver = resolverOn(http, false);
    expect(resolver.ready('Accounts')).toEqual({ fields: MODULE_FIELDS.Accounts.phone, complete: false });
    expect(await resolver.of('Accounts')).toEqual(resolver.ready('Accounts'));
    expect(answers).toHaveLength(0);
  });
});
