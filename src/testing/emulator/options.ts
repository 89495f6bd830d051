/**
 * The emulator's options with every default applied and every value checked (bad values throw a
 * `TypeError`/`RangeError` naming the option).
 * @internal
 * @module
 */
import { EDITIONS, type Edition } from '../../editions.js';
import { getRegion, type RegionCode } from '../../regions.js';
import { isValidTimeZone } from './time.js';
import type {
  EmulatorClientInit,
  EmulatorFieldInit,
  EmulatorModule,
  EmulatorUserInit,
  OAuthLimits,
  ZohoEmulatorOptions,
} from './types.js';

/** Options with every default applied. */
export interface ResolvedEmulatorOptions {
  readonly dataCenter: RegionCode;
  readonly edition: Edition;
  readonly orgName: string;
  readonly timeZone: string;
  readonly users: readonly EmulatorUserInit[];
  readonly licensedUsers: number | undefined;
  readonly addOnCredits: number;
  readonly creditLimit: number | undefined;
  readonly concurrencyLimit: number | undefined;
  readonly searchCredits: number;
  readonly retryAfter: boolean;
  readonly clients: readonly EmulatorClientInit[];
  readonly autoConsent: boolean;
  readonly accessTokenTtlSeconds: number;
  readonly codeTtlSeconds: number;
  readonly oauthLimits: Required<OAuthLimits>;
  readonly wrongSecretError: 'invalid_client' | 'invalid_client_secret';
  readonly phoneMatch: NonNullable<ZohoEmulatorOptions['phoneMatch']>;
  readonly criteriaEquals: 'contains' | 'exact';
  readonly criteriaOnPhoneFields: 'allow' | 'reject';
  readonly searchIndexDelayMs: number;
  readonly coqlEmptyResult: 'no-content' | 'empty-data';
  readonly unknownFields: 'drop' | 'keep';
  readonly unknownPicklistValues: 'add' | 'keep' | 'refuse';
  readonly missedCallNeedsDuration: boolean;
  readonly durationReading: 'mm:ss' | 'HH:mm';
  readonly coqlLikeOnPhoneFields: 'allow' | 'reject';
  readonly absentFields: Partial<Record<EmulatorModule, readonly string[]>>;
  readonly fields: Partial<Record<EmulatorModule, readonly EmulatorFieldInit[]>>;
  readonly uniqueFields: Partial<Record<EmulatorModule, readonly string[]>>;
  readonly now: () => number;
  readonly requestLogSize: number;
}

/** Applies the defaults and checks every value. */
export function resolveOptions(o: ZohoEmulatorOptions): ResolvedEmulatorOptions {
  const dataCenter = getRegion(o.dataCenter ?? 'us').code;
  const edition = o.edition ?? 'Enterprise';
  if (!Object.hasOwn(EDITIONS, edition))
    throw new TypeError(`edition: unknown Zoho edition ${JSON.stringify(edition)}`);
  const timeZone = o.timeZone ?? 'America/New_York';
  if (!isValidTimeZone(timeZone))
    throw new TypeError(`timeZone: unknown IANA time zone ${JSON.stringify(timeZone)}`);
  const users = o.users && o.users.length > 0 ? o.users : [DEFAULT_ADMIN];
  const nonNegative = (name: string, v: number | undefined, dflt: number): number => {
    const value = v ?? dflt;
    if (!(typeof value === 'number' && value >= 0 && !Number.isNaN(value)))
      throw new RangeError(`${name} must be a number >= 0`);
    return value;
  };
  const positive = (name: string, v: number | undefined, dflt: number): number => {
    const value = nonNegative(name, v, dflt);
    if (value <= 0) throw new RangeError(`${name} must be > 0`);
    return value;
  };
  const limits = o.oauthLimits ?? {};
  return {
    dataCenter,
    edition,
    orgName: o.orgName ?? 'Emulated Org',
    timeZone,
    users,
    licensedUsers:
      o.licensedUsers === undefined ? undefined : nonNegative('licensedUsers', o.licensedUsers, 0),
    addOnCredits: nonNegative('addOnCredits', o.addOnCredits, 0),
    creditLimit: o.creditLimit === undefined ? undefined : nonNegative('creditLimit', o.creditLimit, 0),
    concurrencyLimit:
      o.concurrencyLimit === undefined ? undefined : positive('concurrencyLimit', o.concurrencyLimit, 1),
    searchCredits: nonNegative('searchCredits', o.searchCredits, 1),
    retryAfter: o.retryAfter ?? false,
    clients: o.clients ?? [],
    autoConsent: o.autoConsent ?? false,
    accessTokenTtlSeconds: positive('accessTokenTtlSeconds', o.accessTokenTtlSeconds, 3600),
    codeTtlSeconds: positive('codeTtlSeconds', o.codeTtlSeconds, 120),
    oauthLimits: {
      accessTokensPerWindow: positive('oauthLimits.accessTokensPerWindow', limits.accessTokensPerWindow, 10),
      liveAccessTokens: positive('oauthLimits.liveAccessTokens', limits.liveAccessTokens, 15),
      refreshTokensPerUser: positive('oauthLimits.refreshTokensPerUser', limits.refreshTokensPerUser, 20),
      grantCodesPerWindow: positive('oauthLimits.grantCodesPerWindow', limits.grantCodesPerWindow, 10),
      windowMs: positive('oauthLimits.windowMs', limits.windowMs, 600_000),
    },
    wrongSecretError: o.wrongSecretError ?? 'invalid_client',
    phoneMatch: o.phoneMatch ?? 'digits-contains',
    criteriaEquals: o.criteriaEquals ?? 'contains',
    criteriaOnPhoneFields: o.criteriaOnPhoneFields ?? 'allow',
    searchIndexDelayMs: nonNegative('searchIndexDelayMs', o.searchIndexDelayMs, 0),
    coqlEmptyResult: o.coqlEmptyResult ?? 'no-content',
    unknownFields: o.unknownFields ?? 'drop',
    unknownPicklistValues: oneOf(
      'unknownPicklistValues',
      o.unknownPicklistValues,
      ['add', 'keep', 'refuse'],
      'add',
    ),
    missedCallNeedsDuration: o.missedCallNeedsDuration ?? true,
    durationReading: oneOf('durationReading', o.durationReading, ['mm:ss', 'HH:mm'], 'mm:ss'),
    coqlLikeOnPhoneFields: oneOf(
      'coqlLikeOnPhoneFields',
      o.coqlLikeOnPhoneFields,
      ['allow', 'reject'],
      'allow',
    ),
    absentFields: o.absentFields ?? {},
    fields: o.fields ?? {},
    uniqueFields: o.uniqueFields ?? {},
    now: o.now ?? Date.now,
    requestLogSize: nonNegative('requestLogSize', o.requestLogSize, 1000),
  };
}

/** An enumerated option: its value, or the default when unset; anything else throws a TypeError. */
function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (!allowed.includes(value))
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value;
}

const DEFAULT_ADMIN: EmulatorUserInit = {
  email: 'admin@example.com',
  firstName: 'Ada',
  lastName: 'Admin',
  extension: '100',
};
