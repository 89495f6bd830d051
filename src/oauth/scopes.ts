/**
 * The OAuth scopes the connector asks for: the smallest set that covers every feature. Sources:
 * docs/zoho-facts.md §1.8 (Zoho's scope list; search needs `ZohoSearch.securesearch.READ`, notes need the
 * notes scope plus the parent module's, COQL needs `ZohoCRM.coql.READ` plus module read).
 *
 * @module
 */

/**
 * Default scopes, by feature:
 * - caller ID and directory search: module READ on Contacts, Leads, Accounts + `ZohoSearch.securesearch.READ`
 *   (+ `ZohoCRM.coql.READ` for the COQL lookup method, `ZohoCRM.settings.fields.READ` to discover custom
 *   phone fields);
 * - create records: CREATE on Contacts and Leads;
 * - call journal: READ/CREATE/UPDATE on Calls (late recordings update the activity), CREATE on Notes,
 *   `ZohoCRM.users.READ` to map agents to Zoho users and read the org's time zone.
 * @group OAuth
 */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'ZohoCRM.modules.contacts.READ',
  'ZohoCRM.modules.contacts.CREATE',
  'ZohoCRM.modules.leads.READ',
  'ZohoCRM.modules.leads.CREATE',
  'ZohoCRM.modules.accounts.READ',
  'ZohoCRM.modules.calls.READ',
  'ZohoCRM.modules.calls.CREATE',
  'ZohoCRM.modules.calls.UPDATE',
  'ZohoCRM.modules.notes.CREATE',
  'ZohoCRM.users.READ',
  'ZohoCRM.settings.fields.READ',
  'ZohoCRM.coql.READ',
  'ZohoSearch.securesearch.READ',
]);

/**
 * The scopes `diagnose({ write: true })` needs beyond {@link DEFAULT_SCOPES}: its probes delete the test
 * Lead and the test Call they create. Ask for them only where an admin runs the write probes.
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector({ ...options, scopes: [...DEFAULT_SCOPES, ...DIAGNOSE_SCOPES] });
 * ```
 * @group OAuth
 */
export const DIAGNOSE_SCOPES: readonly string[] = Object.freeze([
  'ZohoCRM.modules.leads.DELETE',
  'ZohoCRM.modules.calls.DELETE',
]);

/**
 * The scopes missed-call tasks (`journal.missedCallTask`) need beyond {@link DEFAULT_SCOPES}: creating the
 * task, and reading Tasks back after an insert whose answer was lost. The connector asks for them when
 * the option is on and `scopes` is not given; a connection authorized without them gets its tasks
 * dead-lettered with `AUTH_SCOPE_MISMATCH` (docs/journal.md, "Missed-call tasks").
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector({ ...options, scopes: [...DEFAULT_SCOPES, ...TASK_SCOPES],
 *   journal: { missedCallTask: { enabled: true, dueInMinutes: 60 } } });
 * ```
 * @group OAuth
 */
export const TASK_SCOPES: readonly string[] = Object.freeze([
  'ZohoCRM.modules.tasks.CREATE',
  'ZohoCRM.modules.tasks.READ',
]);

/**
 * The scope `zoho.watchChanges()` needs beyond {@link DEFAULT_SCOPES}: Zoho's Notifications API
 * (`POST`/`DELETE /actions/watch`) to hear of Contacts, Leads and Accounts edited or deleted in Zoho, so
 * the caller-ID cache forgets them at once (docs/caller-id.md, "Staying in step with Zoho"). Zoho documents
 * `ZohoCRM.notifications.{ALL|READ|CREATE|UPDATE|WRITE|DELETE}`; `ALL` covers enabling, renewing and disabling
 * a channel. Ask for it only where the host calls `watchChanges()`; a connection authorized without it
 * gets an `AuthError` `AUTH_SCOPE_MISMATCH` from `watchChanges()`.
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector({ ...options, scopes: [...DEFAULT_SCOPES, ...NOTIFICATION_SCOPES] });
 * ```
 * @group OAuth
 */
export const NOTIFICATION_SCOPES: readonly string[] = Object.freeze(['ZohoCRM.notifications.ALL']);
