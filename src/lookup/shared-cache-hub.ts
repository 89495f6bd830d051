/**
 * The subscriber connections of the shared caller-ID cache: one `client.duplicate()` per host client,
 * whatever the number of connections (tenants) using it, opened by the first to join and closed when
 * the last leaves. Each connection listens on its own channel; reconnections are reported as gaps (the
 * notices sent meanwhile are lost), connection errors to every member.
 *
 * @internal
 * @module
 */
import type { SharedCacheClient, SharedCacheSubscriber } from './shared-cache-types.js';

/** What a connection's cache hears on its channel. */
export interface Listener {
  message(text: string): void;
  gap(): void;
}

/** A connection's place on the subscriber; `leave()` closes the subscriber after the last one. */
export interface Membership {
  leave(): Promise<void>;
}

interface Hub {
  subscriber: SharedCacheSubscriber;
  channels: Map<string, Set<{ listener: Listener; failed: (op: string, error: unknown) => void }>>;
}

const hubs = new WeakMap<SharedCacheClient, Hub>();

/** Subscribes `listener` to `channel` on the client's shared subscriber (made on the first join). */
export function join(
  client: SharedCacheClient,
  channel: string,
  listener: Listener,
  failed: (operation: string, error: unknown) => void,
): Membership {
  let hub = hubs.get(client);
  if (!hub) hub = openHub(client);
  const member = { listener, failed };
  let members = hub.channels.get(channel);
  if (!members) {
    members = new Set();
    hub.channels.set(channel, members);
    hub.subscriber.subscribe(channel).catch((error: unknown) => failed('subscribe', error));
  }
  members.add(member);
  const joined = hub;
  return {
    async leave() {
      const set = joined.channels.get(channel);
      set?.delete(member);
      if (!set || set.size > 0) return;
      joined.channels.delete(channel);
      if (joined.channels.size === 0) {
        hubs.delete(client);
        joined.subscriber.disconnect();
        return;
      }
      await joined.subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}

function openHub(client: SharedCacheClient): Hub {
  const hub: Hub = { subscriber: client.duplicate(), channels: new Map() };
  hubs.set(client, hub);
  const everyone = () => [...hub.channels.values()].flatMap((set) => [...set]);
  let readyBefore = false;
  hub.subscriber.on('message', (channel, text) => {
    for (const { listener } of hub.channels.get(String(channel)) ?? []) listener.message(String(text));
  });
  hub.subscriber.on('ready', () => {
    // Back after a disconnection: notices sent meanwhile are lost.
    if (readyBefore) for (const { listener } of everyone()) listener.gap();
    readyBefore = true;
    // Again (idempotent): a SUBSCRIBE refused before the connection was up (no offline queue) is not
    // one ioredis subscribes to again by itself.
    for (const [channel, members] of hub.channels) {
      hub.subscriber.subscribe(channel).catch((error: unknown) => {
        for (const { failed } of members) failed('subscribe', error);
      });
    }
  });
  // Without a listener, ioredis prints every connection error to the console.
  hub.subscriber.on('error', (error) => {
    for (const { failed } of everyone()) failed('subscribe', error);
  });
  return hub;
}
