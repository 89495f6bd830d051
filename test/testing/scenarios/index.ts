import type { StartHarness } from '../harness.js';
import { activityScenarios } from './activities.js';
import { crmScenarios } from './crm.js';
import { limitScenarios } from './limits.js';
import { metadataScenarios } from './metadata.js';
import { oauthScenarios } from './oauth.js';
import { zohoModeScenarios } from './zoho-modes.js';

/** The whole emulator scenario suite, against one transport. */
export function runScenarios(start: StartHarness): void {
  oauthScenarios(start);
  crmScenarios(start);
  activityScenarios(start);
  metadataScenarios(start);
  limitScenarios(start);
  zohoModeScenarios(start);
}
