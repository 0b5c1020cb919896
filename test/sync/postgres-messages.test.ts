// hydracache/postgres without a server: the payload format (decode, encode within the byte limit),
// the default table mapping, and option checking.
import postgres from "postgres";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CacheError } from "../../src/core/errors.ts";
import { postgresTransport, tableInvalidation } from "../../src/postgres/index.ts";
import { decodePayload, encodeEvent } from "../../src/postgres/messages.ts";

// Never connects: postgres.js opens connections lazily, and nothing here queries.
const sql = postgres("postgres://nobody@127.0.0.1:1/none");

test("decodePayload: heartbeats, table messages, keys/tags events, flushes; anything else is undecodable", () => {
  assert.equal(decodePayload("hb:abc:42"), { kind: "heartbeat", instance: "abc", seq: 42 });
  assert.equal(decodePayload('{"v":1,"s":"auth","t":"posts"}'), {
    kind: "table",
    message: { schema: "auth", table: "posts" },
  });
  assert.equal(decodePayload('{"v":1,"o":"me","keys":["k"],"tags":["t"]}'), {
    kind: "event",
    event: { keys: ["k"], tags: ["t"] },
    origin: "me",
  });
  assert.equal(decodePayload('{"v":1,"all":true}'), { kind: "flush" });
  assert.equal(decodePayload('{"v":1,"o":"me","all":true}'), { kind: "flush", origin: "me" });
  for (const payload of [
    "",
    "hb:",
    "hb:abc:x",
    "hb:abc:1.5",
    "nope",
    "null",
    "[]",
    "7",
    '{"v":2,"s":"a","t":"b"}',
    '{"v":1,"o":7,"keys":[]}',
    '{"v":1,"s":"a"}',
    '{"v":1,"s":"a","t":"b","keys":[]}',
    '{"v":1,"all":true,"keys":["k"]}',
    '{"v":1,"all":false}',
    '{"v":1,"keys":"k"}',
    '{"v":1,"other":1}',
  ]) {
    assert.equal(decodePayload(payload), { kind: "undecodable" }, payload);
  }
});

test("encodeEvent: payloads stay within 7,999 bytes, keep every key and tag in order, and decode back", () => {
  assert.equal(encodeEvent({ all: true }), ['{"v":1,"all":true}']);
  assert.equal(encodeEvent({ keys: [], tags: [] }), []);
  const keys = Array.from({ length: 3_000 }, (_, i) => `clé:${i}:€`);
  const tags = Array.from({ length: 500 }, (_, i) => `tag:${i}`);
  const payloads = encodeEvent({ keys, tags }, "me");
  assert.ok(payloads.length > 1);
  const decoded = payloads.map((payload) => {
    assert.ok(new TextEncoder().encode(payload).length <= 7_999, "within the limit");
    const message = decodePayload(payload);
    assert.is(message.kind, "event");
    return message as { event: { keys?: string[]; tags?: string[] }; origin: string };
  });
  assert.equal(
    decoded.flatMap(({ event }) => event.keys ?? []),
    keys,
  );
  assert.equal(
    decoded.flatMap(({ event }) => event.tags ?? []),
    tags,
  );
  assert.ok(decoded.every(({ origin }) => origin === "me"));
  assert.equal(
    encodeEvent({ keys: ["small", "x".repeat(8_000)] }),
    ['{"v":1,"all":true}', '{"v":1,"keys":["small"]}'],
    "a key no payload can carry becomes a flush",
  );
});

test("tableInvalidation: tableTag's strings (schema-qualified outside public)", () => {
  assert.equal(tableInvalidation({ schema: "public", table: "users" }), { tags: ["table:users"] });
  assert.equal(tableInvalidation({ schema: "auth", table: "posts" }), { tags: ["table:auth.posts"] });
});

test("postgresTransport: bad options throw INVALID_OPTIONS naming the option", () => {
  const base = { listen: "postgres://x@127.0.0.1:1/none", notify: sql };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...base, listen: 5 }, /listen must be a connection URL or postgres.js options/],
    [{ ...base, notify: {} }, /notify must be a postgres.js client/],
    [{ ...base, channel: "" }, /channel must be a non-empty string of at most 63 bytes/],
    [{ ...base, channel: "é".repeat(32) }, /channel must be/],
    [{ ...base, heartbeatIntervalMs: 0 }, /heartbeatIntervalMs must be a positive finite/],
    [{ ...base, heartbeatTimeoutMs: "2s" }, /heartbeatTimeoutMs must be/],
    [{ ...base, queueCheckIntervalMs: -1 }, /queueCheckIntervalMs must be/],
    [
      { ...base, reconnect: { minMs: 100, maxMs: 50 } },
      /reconnect.maxMs \(50\) is below reconnect.minMs \(100\)/,
    ],
    [{ ...base, reconnect: { min: 1 } }, /reconnect: unknown option "min"/],
    [{ ...base, reconnect: { jitter: 2 } }, /reconnect.jitter must be a number from 0 to 1/],
    [{ ...base, queueWarnAt: Number.NaN }, /queueWarnAt must be a number from 0 to 1/],
    [{ ...base, toInvalidation: "tags" }, /toInvalidation must be a function/],
    [{ ...base, publishLocal: "yes" }, /publishLocal must be a boolean/],
    [{ ...base, heartbeat: 1 }, /unknown option "heartbeat"/],
  ];
  for (const [options, pattern] of cases) {
    try {
      postgresTransport(options as never);
      assert.unreachable(`accepted ${pattern}`);
    } catch (error) {
      assert.ok(CacheError.is(error) && error.code === "INVALID_OPTIONS", String(error));
      assert.match((error as Error).message, pattern);
    }
  }
});

test("postgresTransport: publishes only with publishLocal; on() checks its arguments; stats before start", async () => {
  const listen = { host: "127.0.0.1", port: 1 };
  assert.type(postgresTransport({ listen, notify: sql }).publish, "function");
  const quiet = postgresTransport({ listen, notify: sql, publishLocal: false });
  assert.is(quiet.publish, undefined);
  assert.throws(() => quiet.on("closed" as never, () => {}), /unknown event "closed"/);
  assert.throws(() => quiet.on("queue", 1 as never), /listener must be a function/);
  const off = quiet.on("queue", () => {});
  off();
  assert.equal(quiet.stats(), {
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    reconnects: 0,
    heartbeatRttMs: { p50: 0, p99: 0, max: 0 },
  });
  await quiet.close();
  await quiet.close();
  try {
    await quiet.start({} as never);
    assert.unreachable("a closed transport started");
  } catch (error) {
    assert.match((error as Error).message, /starts only once/);
  }
});

test.after(() => sql.end({ timeout: 0 }));
test.run();
