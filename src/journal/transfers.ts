/**
 * Who handled a call and how it travelled, pure: the agent who ended it (the last transfer's target, else
 * the call's agent) owns the activity; the description lists each transfer with its time in the org's time
 * zone, and the agents of a ring group or queue who rang without answering.
 *
 * @module
 */
import type { NormalizedCall, PbxAgent } from './pbx-call.js';
import { formatZohoDateTime } from './zoho-time.js';

/**
 * The agent who ended the call: the last transfer's target, else `agent` (the one who answered or placed
 * it). Ring-group and queue calls map to `agent`, never to the agents in `rang`.
 * @param call - The call.
 * @returns The agent, or undefined when the call names none.
 * @example
 * ```ts
 * handlingAgent({ ...call, agent: { extension: '201' }, transfers: [{ at, to: { extension: '202' } }] }); // ext. 202
 * ```
 * @internal
 */
export function handlingAgent(call: Pick<NormalizedCall, 'agent' | 'transfers'>): PbxAgent | undefined {
  return call.transfers?.at(-1)?.to ?? call.agent;
}

/**
 * How an agent reads in a description: `Grace Hopper (ext. 201)` or `ext. 201`.
 * @param agent - The agent.
 * @param clean - Makes text storable (emoji removed).
 * @internal
 */
export function agentLabel(agent: PbxAgent, clean: (text: string) => string = (text) => text): string {
  const name = agent.name ? clean(agent.name).trim() : '';
  return name ? `${name} (ext. ${agent.extension})` : `ext. ${agent.extension}`;
}

/**
 * The description lines for the call's path: one `Transferred HH:mm:ss: A → B` per transfer (the time in
 * the org's zone) and `Rang: …` for the agents who rang without answering.
 * @param call - The call.
 * @param timeZone - The org's IANA time zone.
 * @param clean - Makes text storable.
 * @returns The lines, possibly none.
 * @example
 * ```ts
 * pathLines(call, 'America/New_York');
 * // ['Transferred 14:05:10: Grace Hopper (ext. 201) → ext. 202']
 * ```
 * @internal
 */
export function pathLines(
  call: Pick<NormalizedCall, 'agent' | 'transfers' | 'rang'>,
  timeZone: string,
  clean?: (text: string) => string,
): string[] {
  const lines: string[] = [];
  let holder = call.agent;
  for (const transfer of call.transfers ?? []) {
    const time = formatZohoDateTime(transfer.at, timeZone).slice(11, 19);
    const from = holder ? `${agentLabel(holder, clean)} → ` : '';
    lines.push(`Transferred ${time}: ${from}${agentLabel(transfer.to, clean)}`);
    holder = transfer.to;
  }
  if (call.rang?.length) lines.push(`Rang: ${call.rang.map((agent) => agentLabel(agent, clean)).join(', ')}`);
  return lines;
}
