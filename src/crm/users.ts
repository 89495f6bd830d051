/**
 * CRM users (owner mapping for call activities) and the org's time zone. Thin I/O.
 *
 * @module
 */
import type { ZohoHttp } from '../http/client.js';
import { UsersSchema, type ZohoUser } from './schemas.js';

/** `GET /users?type=ActiveUsers`, every page. @internal */
export async function listActiveUsers(http: ZohoHttp, signal?: AbortSignal): Promise<ZohoUser[]> {
  const users: ZohoUser[] = [];
  for (let page = 1; page <= 50; page++) {
    const { data } = await http.request({
      method: 'GET',
      path: '/users',
      query: { type: 'ActiveUsers', page, per_page: 200 },
      schema: UsersSchema,
      ...(signal ? { signal } : {}),
    });
    const batch = data?.users ?? [];
    users.push(...batch);
    if (!data?.info?.more_records || batch.length === 0) break;
  }
  return users;
}

/** `GET /users?type=CurrentUser`: the user who authorized (time zone, id). @internal */
export async function getCurrentUser(http: ZohoHttp, signal?: AbortSignal): Promise<ZohoUser | undefined> {
  const { data } = await http.request({
    method: 'GET',
    path: '/users',
    query: { type: 'CurrentUser' },
    schema: UsersSchema,
    ...(signal ? { signal } : {}),
  });
  return data?.users[0];
}
