/**
 * zoho-crm-connector: Zoho CRM for phone systems.
 *
 * @packageDocumentation
 */
export type {
  CalibrationSource,
  DurationReading,
  OrgCalibration,
  PhoneSearchReading,
} from './calibration/calibration.js';
export {
  type ConnectorEvents,
  type RateLimitedEvent,
  ZohoCrmConnector,
  type ZohoRequestEvent,
} from './connector.js';
export type {
  DiagnoseCheck,
  DiagnoseCheckId,
  DiagnoseClock,
  DiagnoseOptions,
  DiagnoseReport,
  DiagnoseStatus,
} from './diagnose/types.js';
export {
  creditsForWrite,
  dailyCredits,
  EDITION_NAMES,
  EDITIONS,
  type Edition,
  type EditionLimits,
} from './editions.js';
export {
  AuthError,
  type AuthErrorCode,
  ConfigError,
  type ConfigIssue,
  ErrorCode,
  type HttpErrorContext,
  isZohoCrmError,
  JournalStoreError,
  PhoneNumberError,
  type PhoneNumberProblem,
  RateLimitError,
  SettingsStoreError,
  TokenStoreError,
  TransportError,
  type TransportErrorCode,
  ZohoApiError,
  ZohoCrmError,
  type ZohoCrmErrorOptions,
} from './errors.js';
export type { CrmMethod, CrmRequest, CrmResponse } from './http/crm-request.js';
export type { ConfigErrorEvent } from './journal/custom-fields.js';
export type { ImportCallsOptions, ImportFailure, ImportProgress, ImportSummary } from './journal/import.js';
export type {
  CallAttachments,
  CallLoggedEvent,
  FlushResult,
  JournalEvents,
  JournalFailedEvent,
  JournalRetryEvent,
  JournalStats,
  JournalWriteOptions,
} from './journal/journal.js';
export type { CallActivity, SubjectContext, SubjectTemplate, ZohoCallType } from './journal/map-call.js';
export type { JournalFieldsFunction } from './journal/map-fields.js';
export { createMemoryJournalStore, type MemoryJournalStoreOptions } from './journal/memory-store.js';
export type {
  JournalResult,
  NormalizedCall,
  PbxAgent,
  PbxCall,
  PbxCallStatus,
  PbxTransfer,
  RecordingLink,
  TranscriptionLink,
} from './journal/pbx-call.js';
export {
  type PublicLinkCheck,
  type SignPublicLinkOptions,
  signPublicLink,
  type VerifyPublicLinkOptions,
  verifyPublicLink,
} from './journal/public-link.js';
export type {
  CallUpdate,
  ClaimCallsOptions,
  ClaimDueOptions,
  DeadLetter,
  JournalErrorInfo,
  JournalOp,
  JournalOpKind,
  JournalQuarantineEvent,
  JournalStore,
  MissedCallTaskPlan,
  QuarantinedRecord,
  QuarantineReport,
} from './journal/store.js';
export { type Logger, noopLogger } from './logger.js';
export type { SharedCacheClient, SharedCacheSubscriber } from './lookup/shared-cache-types.js';
export type { MultipleMatchPolicy } from './lookup/to-match.js';
export type {
  CallerMatch,
  DirectoryEntry,
  LookupCallerOptions,
  LookupEvent,
  MatchSource,
} from './lookup/types.js';
export type { ChangeWatch, ChangeWatchEvent } from './notifications/change-watch.js';
export type {
  ChangeNotificationEvent,
  ChangeNotificationResult,
} from './notifications/handle-notification.js';
export type { ChangeOperation, ZohoChangeNotification } from './notifications/notification.js';
export type { WatchChangesOptions } from './notifications/watches.js';
export type {
  AuthorizationRequest,
  AuthorizationResult,
  RevokeResult,
} from './oauth/authorization.js';
export { type AuthorizeUrlOptions, buildAuthorizeUrl } from './oauth/authorize-url.js';
export { type CallbackInput, type CallbackParams, parseCallback } from './oauth/callback.js';
export { DEFAULT_SCOPES, DIAGNOSE_SCOPES, NOTIFICATION_SCOPES, TASK_SCOPES } from './oauth/scopes.js';
export type { AuthorizationLostEvent, TokenRefreshedEvent } from './oauth/token-manager.js';
export type {
  CircuitBreakerOptions,
  ConnectorOptions,
  CreateRecordsOptions,
  EndpointOverrides,
  HttpOptions,
  JournalOptions,
  JournalRetryOptions,
  LookupCacheOptions,
  LookupModule,
  LookupOptions,
  LookupSharedCacheOptions,
  MissedCallTaskOptions,
  PbxContact,
  PbxContactsProvider,
  PublicLinkSettings,
  RegionEndpoints,
} from './options.js';
export {
  type AnonymousCaller,
  type ClassifyOptions,
  classifyNumber,
  DEFAULT_MAX_EXTENSION_LENGTH,
  formatForDisplay,
  type InternalExtension,
  isSupportedCountry,
  type MatchOptions,
  matchesNumber,
  type PhoneClassification,
  type PublicNumber,
  phoneSearchTerms,
  toE164,
} from './phone/normalize.js';
export type {
  CreateRecordFieldsFunction,
  CreateRecordFieldsInput,
  CreateRecordInput,
} from './records/create-record.js';
export {
  getRegion,
  isRegionCode,
  REGION_CODES,
  REGIONS,
  type Region,
  type RegionCode,
  recordUrl,
  regionFromAccountsServer,
  regionFromApiDomain,
  regionFromCallback,
} from './regions.js';
export {
  type ConnectorRegistry,
  type ConnectorRegistryOptions,
  createConnectorRegistry,
  type RegistryAuthorizationRequest,
  type RegistryAuthorizationResult,
  type RegistryEvents,
  type TenantTag,
} from './registry/registry.js';
export {
  assertTenantId,
  connectorOptionsFromSettings,
  parseTenantSettings,
  type ResolvedTenantSettings,
  type SharedConnectorOptions,
  TENANT_ID_PATTERN,
  type TenantSettings,
  tenantSettingsJsonSchema,
  tenantSettingsSchema,
} from './registry/tenant-settings.js';
export { createMemoryStore } from './stores/memory.js';
export { createMemorySettingsStore } from './stores/settings-memory.js';
export type { SettingsStore } from './stores/settings-types.js';
export type { StoredTokens, TokenStore } from './stores/types.js';
