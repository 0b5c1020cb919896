// Finds the PostgreSQL the sync tests run on: DATABASE_URL (which must answer when set), else the
// local server on 127.0.0.1:5432 (database "test"). Without either, the PostgreSQL tests are left
// out with a log line, unless HYDRACACHE_REQUIRE_PG=1, which makes that a failure. Also: unique
// names, a raw listener, and a TCP proxy that injects network faults on loopback.
import { createServer, type Server, Socket } from "node:net";
import postgres from "postgres";
import { waitFor } from "../core/helpers.ts";

/** A reachable server: its URL and an admin pool (closed by `close`). */
export interface SyncDatabase {
  readonly url: string;
  readonly admin: postgres.Sql;
  /** The URL with another host and port (a proxy in front of the server). */
  via(port: number): string;
  /** A new pool of its own (the caller ends it). */
  pool(max?: number): postgres.Sql;
  close(): Promise<void>;
}

const quiet = { onnotice: () => {}, connect_timeout: 5, fetch_types: false } as const;

/** Opens the sync tests' database, or returns undefined (logged) when none is there and none is required. */
export async function openSyncDatabase(file: string): Promise<SyncDatabase | undefined> {
  const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = postgres(url, { ...quiet, max: 4 });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end({ timeout: 0 });
    if (process.env.DATABASE_URL || process.env.HYDRACACHE_REQUIRE_PG === "1") {
      throw new Error(`${file}: PostgreSQL at ${url} does not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    console.log(`[${file}] no PostgreSQL at ${url}: its PostgreSQL tests are left out`);
    return undefined;
  }
  return {
    url,
    admin,
    via(port) {
      const proxied = new URL(url);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(port);
      return proxied.toString();
    },
    pool: (max = 4) => postgres(url, { ...quiet, max }),
    close: () => admin.end({ timeout: 5 }),
  };
}

let next = 0;

/** A name no other test file, process or earlier run uses (lower case, a valid identifier and channel). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${next++}`;
}

/**
 * A plain LISTEN on a channel that records every payload; `collect(action)` runs `action`, then
 * sends a marker and waits for it, so it returns exactly what `action`'s commits sent, in order.
 */
export async function rawListener(database: SyncDatabase, channel: string) {
  const sql = postgres(database.url, { ...quiet, max: 1 });
  const received: string[] = [];
  await sql.listen(channel, (payload) => received.push(payload));
  let markers = 0;
  return {
    async collect(action: () => Promise<unknown>): Promise<string[]> {
      received.length = 0;
      await action();
      const marker = `marker:${markers++}`;
      await database.admin`select pg_notify(${channel}, ${marker})`;
      await waitFor(`marker ${marker}`, () => received.includes(marker));
      return received.slice(0, received.indexOf(marker));
    },
    close: () => sql.end({ timeout: 0 }),
  };
}

/** How the proxy treats connections: forwards them, stalls them both ways (a black hole), or resets new ones. */
export type ProxyMode = "pass" | "blackhole" | "refuse";

/** A TCP proxy on 127.0.0.1 in front of the database, to inject network faults. */
export interface FaultProxy {
  readonly port: number;
  /** Switches mode: "blackhole" stalls open connections and new ones; "refuse" resets new ones. */
  set(mode: ProxyMode): void;
  /** Destroys every open connection (a dropped TCP path). */
  drop(): void;
  close(): Promise<void>;
}

/** Starts a {@link FaultProxy} to the database's host and port. */
export async function faultProxy(database: SyncDatabase): Promise<FaultProxy> {
  const target = new URL(database.url);
  const targetPort = Number(target.port || 5432);
  let mode: ProxyMode = "pass";
  const pairs = new Set<[Socket, Socket]>();
  // Nothing read is nothing forwarded: bytes wait in the kernel's buffers, as on a stalled path.
  const pause = (pair: [Socket, Socket]) => {
    for (const socket of pair) socket.pause();
  };
  const server: Server = createServer((client) => {
    if (mode === "refuse") {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forget = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", forget).on("close", forget);
    upstream.on("error", forget).on("close", forget);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => client.write(chunk));
    if (mode === "blackhole") pause(pair);
    upstream.connect(targetPort, target.hostname);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP port");
  return {
    port: address.port,
    set(next) {
      mode = next;
      for (const pair of pairs) {
        if (mode === "blackhole") pause(pair);
        else for (const socket of pair) socket.resume();
      }
    },
    drop() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    async close() {
      mode = "refuse";
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
