import { CacheError } from "../core/errors.ts";
import type { InvalidationEvent, InvalidationTransport, SyncSink } from "./types.ts";

/**
 * An in-process invalidation bus: each cache attaches through its own `bus.transport()`.
 *
 * @example
 * const bus = memoryBus();
 * attachSync(cacheA, bus.transport());
 * attachSync(cacheB, bus.transport());
 */
export interface MemoryBus {
  /** A new member of the bus, for one `attachSync`. Never throws; its `start` rejects `INVALID_OPTIONS` when called twice. */
  transport(): InvalidationTransport;
}

/**
 * An in-memory transport for tests and for several caches in one process. A member's published
 * invalidation is delivered at once, in publish order, to every other started member (never
 * echoed to the sender), and each member confirms when it starts and after every delivery. Nothing
 * on it can be lost, so its caches may attach with `whenUnsynced: "serve"` to keep serving through
 * quiet periods longer than `maxStalenessMs`. Never throws; a member transport's `start` rejects
 * `INVALID_OPTIONS` when called twice.
 *
 * @example
 * import { HydraCache, attachSync, memoryBus } from "hydracache";
 *
 * const bus = memoryBus();
 * const a = HydraCache.local().build();
 * const b = HydraCache.local().build();
 * attachSync(a, bus.transport());
 * attachSync(b, bus.transport());
 * await b.put("user:1", { name: "Ada" });
 * await a.put("user:1", { name: "Grace" }); // b no longer holds user:1
 */
export function memoryBus(): MemoryBus {
  const members = new Set<SyncSink>();
  return {
    transport() {
      let sink: SyncSink | undefined;
      return {
        async start(given) {
          if (sink !== undefined) {
            throw new CacheError("INVALID_OPTIONS", "memoryBus: a member transport starts only once");
          }
          sink = given;
          members.add(given);
          given.resync("subscribed");
          given.confirm(given.now());
        },
        async publish(event: InvalidationEvent) {
          if (sink === undefined || !members.has(sink)) return;
          for (const member of members) {
            if (member === sink) continue;
            member.invalidate(event);
            member.confirm(member.now());
          }
        },
        async close() {
          if (sink !== undefined) members.delete(sink);
        },
      };
    },
  };
}
