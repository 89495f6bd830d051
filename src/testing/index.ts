/**
 * `zoho-crm-connector/testing`: a stateful Zoho CRM emulator (Zoho Accounts OAuth and CRM REST v8) over
 * real HTTP, with Zoho's formats, limits, error shapes and quirks, plus test helpers. Node only.
 * The msw handlers live in `zoho-crm-connector/testing/msw`.
 *
 * @packageDocumentation
 */
export { createZohoRouter, type ZohoRouter } from './emulator/router.js';
export type {
  DataCenter,
  EmulatorClientInit,
  EmulatorFieldInit,
  EmulatorModule,
  EmulatorNamedRef,
  EmulatorNotificationChannel,
  EmulatorStats,
  EmulatorUser,
  EmulatorUserInit,
  Faults,
  FieldDataType,
  IssuedTokens,
  NotificationDelivery,
  OAuthLimits,
  OutageWindow,
  PhoneMatchMode,
  RequestLogEntry,
  SeedOptions,
  ZohoEmulatorControl,
  ZohoEmulatorOptions,
  ZohoEmulatorState,
} from './emulator/types.js';
export { type EmulatorTarget, localUrlScheme, type UrlScheme, zohoUrlScheme } from './emulator/url-scheme.js';
export { assertJournalStoreContract, type JournalStoreContractOptions } from './journal-store-contract.js';
export {
  createZohoEmulatorState,
  type EmulatorEndpoints,
  startZohoEmulator,
  type ZohoEmulator,
  type ZohoEmulatorServerOptions,
} from './server.js';
export {
  assertSettingsStoreContract,
  type SettingsStoreContractOptions,
} from './settings-store-contract.js';
export { assertTokenStoreContract, type TokenStoreContractOptions } from './token-store-contract.js';
