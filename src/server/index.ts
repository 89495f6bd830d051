/**
 * `zoho-crm-connector/server`: the PBX service, every tenant's Zoho CRM connector behind a few HTTP
 * routes with API keys, for phone systems in any language.
 *
 * @module
 */

export { ServiceErrorCode } from './http.js';
export type { ListeningServer, ListenOptions } from './listen.js';
export { createPbxService, type PbxService, type PbxServiceOptions } from './service.js';
