import type postgres from "postgres";
import { CacheError, describe } from "../core/errors.ts";
import { checkOptionsObject, isInvalidationEvent } from "../sync/check.ts";
import type { InvalidationEvent } from "../sync/types.ts";

/** The channel every helper uses unless told otherwise. */
export const DEFAULT_CHANNEL = "hydracache";

/** The prefix of heartbeat payloads (`hb:<instance>:<seq>`), skipped without parsing JSON. */
export const HEARTBEAT_PREFIX = "hb:";

/** PostgreSQL's limit on a NOTIFY payload, in bytes (not characters). */
const MAX_PAYLOAD_BYTES = 7_999;

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;

/**
 * A postgres.js client to send through: the pool (`sql`), a reserved connection or a transaction
 * (`tx` inside `sql.begin`).
 */
// biome-ignore lint/suspicious/noExplicitAny: any postgres.js client, whatever its custom types.
export type PostgresClient = postgres.Sql<any> | postgres.TransactionSql<any>;

/**
 * A channel PostgreSQL accepts (1 to 63 bytes), else `INVALID_OPTIONS` naming `where`.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for anything but a 1-to-63-byte string without NUL.
 */
export function checkChannel(channel: unknown, where: string): string {
  if (
    typeof channel !== "string" ||
    channel.length === 0 ||
    byteLength(channel) > 63 ||
    channel.includes("\0")
  ) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${where}: channel must be a non-empty string of at most 63 bytes, got ${describe(channel)}`,
    );
  }
  return channel;
}

/** A message from a trigger: which table a statement wrote to (a partition names its root). */
export interface TableMessage {
  readonly schema: string;
  readonly table: string;
}

/**
 * The default mapping of a trigger message to an invalidation: the table's `tableTag`
 * (`table:users` in `public`, `table:auth.posts` elsewhere), as `hydracache/drizzle` tags results. Never throws.
 *
 * @example
 * tableInvalidation({ schema: "auth", table: "posts" }); // { tags: ["table:auth.posts"] }
 */
export function tableInvalidation({ schema, table }: TableMessage): InvalidationEvent {
  return { tags: [`table:${schema === "public" ? table : `${schema}.${table}`}`] };
}

/** What one payload on the channel means. */
export type Decoded =
  | { readonly kind: "heartbeat"; readonly instance: string; readonly seq: number }
  | { readonly kind: "table"; readonly message: TableMessage }
  | { readonly kind: "event"; readonly event: InvalidationEvent; readonly origin?: string }
  | { readonly kind: "flush"; readonly origin?: string }
  | { readonly kind: "undecodable" };

const UNDECODABLE: Decoded = { kind: "undecodable" };

/** Decodes a payload: `hb:<instance>:<seq>`, or JSON format v1 (table, keys/tags, or all). Never throws (a bad payload is `undecodable`). */
export function decodePayload(payload: string): Decoded {
  if (payload.startsWith(HEARTBEAT_PREFIX)) {
    const colon = payload.lastIndexOf(":");
    const seq = Number(payload.slice(colon + 1));
    return colon > HEARTBEAT_PREFIX.length - 1 && Number.isSafeInteger(seq)
      ? { kind: "heartbeat", instance: payload.slice(HEARTBEAT_PREFIX.length, colon), seq }
      : UNDECODABLE;
  }
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return UNDECODABLE;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return UNDECODABLE;
  const { v, o, s, t, all, ...rest } = message as Record<string, unknown>;
  if (v !== 1 || (o !== undefined && typeof o !== "string")) return UNDECODABLE;
  const origin = o === undefined ? {} : { origin: o };
  if (typeof s === "string" && typeof t === "string" && all === undefined && Object.keys(rest).length === 0) {
    return { kind: "table", message: { schema: s, table: t } };
  }
  if (s !== undefined || t !== undefined) return UNDECODABLE;
  if (all === true && Object.keys(rest).length === 0) return { kind: "flush", ...origin };
  return all === undefined && isInvalidationEvent(rest)
    ? { kind: "event", event: rest, ...origin }
    : UNDECODABLE;
}

/**
 * The payloads that carry `event`, each within PostgreSQL's 7,999-byte limit (keys and tags are
 * spread over several when needed; one key or tag too long for any payload becomes a flush). Throws no `CacheError`.
 */
export function encodeEvent(event: InvalidationEvent, origin?: string): string[] {
  const head = `{"v":1${origin === undefined ? "" : `,"o":${JSON.stringify(origin)}`}`;
  if (event.all) return [`${head},"all":true}`];
  const payloads: string[] = [];
  let keys: string[] = [];
  let tags: string[] = [];
  // Each field adds at most `,"keys":[]` (10 bytes); each item its JSON and a comma.
  const budget = MAX_PAYLOAD_BYTES - byteLength(head) - 2 * 10 - 1;
  let used = 0;
  const flush = () => {
    if (keys.length + tags.length === 0) return;
    payloads.push(
      `${head}${keys.length > 0 ? `,"keys":[${keys}]` : ""}${tags.length > 0 ? `,"tags":[${tags}]` : ""}}`,
    );
    keys = [];
    tags = [];
    used = 0;
  };
  const add = (list: () => string[], item: string) => {
    const json = JSON.stringify(item);
    const size = byteLength(json) + 1;
    if (size > budget) {
      payloads.push(`${head},"all":true}`);
      return;
    }
    if (used + size > budget) flush();
    list().push(json);
    used += size;
  };
  for (const key of event.keys ?? []) add(() => keys, key);
  for (const tag of event.tags ?? []) add(() => tags, tag);
  flush();
  return payloads;
}

/** Sends `payloads` on `channel` in one statement, through `client` (inside its transaction, if any). Rejects no `CacheError`: a postgres.js error passes through, not wrapped. */
export async function sendPayloads(
  client: PostgresClient,
  channel: string,
  payloads: string[],
): Promise<void> {
  if (payloads.length === 0) return;
  // A JSON text parameter, not a text[]: arrays need the type OIDs a client with fetch_types off lacks.
  await client`
    select pg_notify(${channel}, p.payload)
      from jsonb_array_elements_text(${JSON.stringify(payloads)}::text::jsonb) with ordinality as p(payload, n)
     order by p.n`;
}

/**
 * Publishes an invalidation to every instance, through `tx` with `select pg_notify(...)`: inside
 * a transaction it is delivered only if and when the transaction commits (postgres.js's own
 * `tx.notify` runs outside the transaction). For changes no trigger sees, or keys and tags that
 * are not table tags. Bad input rejects `INVALID_OPTIONS`.
 *
 * @throws {CacheError} (rejects) `INVALID_OPTIONS` for bad options, channel or event; a postgres.js error passes through, not wrapped.
 *
 * @example
 * await sql.begin(async (tx) => {
 *   await tx`update users set name = ${name} where id = ${id}`;
 *   await notifyInvalidation(tx, { keys: [`user:${id}`] });
 * });
 */
export async function notifyInvalidation(
  tx: PostgresClient,
  event: InvalidationEvent,
  options?: { channel?: string },
): Promise<void> {
  const { channel = DEFAULT_CHANNEL } = checkOptionsObject(options, ["channel"], "notifyInvalidation");
  checkChannel(channel, "notifyInvalidation");
  if (!isInvalidationEvent(event)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `notifyInvalidation: event must be { keys?, tags?, all? } with string arrays and a boolean, got ${describe(event)}`,
    );
  }
  await sendPayloads(tx, channel, encodeEvent(event));
}

/**
 * Asks every instance to flush (resync): after `pg_restore`, a bulk load with triggers disabled,
 * or manual SQL that no trigger covers.
 *
 * @throws {CacheError} (rejects) `INVALID_OPTIONS` for bad options or channel; a postgres.js error passes through, not wrapped.
 *
 * @example
 * await notifyFlush(sql);
 */
export async function notifyFlush(sql: PostgresClient, options?: { channel?: string }): Promise<void> {
  const { channel = DEFAULT_CHANNEL } = checkOptionsObject(options, ["channel"], "notifyFlush");
  await sendPayloads(sql, checkChannel(channel, "notifyFlush"), encodeEvent({ all: true }));
}
