// The sync triggers on a real PostgreSQL: which statements notify, with which payload, and the
// install/verify/uninstall helpers. Every test works in a schema of its own, dropped afterwards.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CacheError } from "../../src/core/errors.ts";
import {
  installSyncTriggers,
  notifyFlush,
  notifyInvalidation,
  syncTriggersSql,
  tableInvalidation,
  uninstallSyncTriggers,
  verifySyncTriggers,
} from "../../src/postgres/index.ts";
import { openSyncDatabase, rawListener, uniqueName } from "./pg.ts";

const database = await openSyncDatabase("sync/triggers");

if (database) {
  const { admin } = database;
  const channel = uniqueName("hc_triggers");
  const listener = await rawListener(database, channel);
  const schemas: string[] = [];

  /** A fresh schema (quoted name allowed), dropped after the test. */
  const schemaFor = async (name = uniqueName("sync_trig")) => {
    schemas.push(name);
    await admin.unsafe(`create schema "${name}"`);
    return name;
  };
  const payload = (schema: string, table: string) => JSON.stringify({ v: 1, s: schema, t: table });
  const install = (tables: string[]) => installSyncTriggers(admin, { tables, channel });

  test.after.each(async () => {
    for (const schema of schemas.splice(0)) await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  });
  test.after(async () => {
    await listener.close();
    await database.close();
  });

  test("triggers: INSERT, UPDATE, DELETE and TRUNCATE each send one message naming schema and table", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".users (id int primary key, name text)`);
    await install([`${schema}.users`]);
    const message = payload(schema, "users");
    assert.equal(
      await listener.collect(() => admin.unsafe(`insert into "${schema}".users values (1, 'a'), (2, 'b')`)),
      [message],
    );
    assert.equal(await listener.collect(() => admin.unsafe(`update "${schema}".users set name = 'c'`)), [
      message,
    ]);
    assert.equal(await listener.collect(() => admin.unsafe(`delete from "${schema}".users where id = 1`)), [
      message,
    ]);
    assert.equal(await listener.collect(() => admin.unsafe(`truncate "${schema}".users`)), [message]);
  });

  test("triggers: COPY and INSERT … ON CONFLICT notify (one message per transaction and table)", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".items (id int primary key, n int)`);
    await install([`${schema}.items`]);
    const message = payload(schema, "items");
    const copied = await listener.collect(async () => {
      const stream = await admin.unsafe(`copy "${schema}".items from stdin`).writable();
      await new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.end("1\t1\n2\t2\n", resolve);
      });
    });
    assert.equal(copied, [message]);
    const upserted = await listener.collect(() =>
      admin.unsafe(
        `insert into "${schema}".items values (1, 10), (3, 3) on conflict (id) do update set n = excluded.n`,
      ),
    );
    assert.equal(upserted, [message], "the INSERT and UPDATE triggers' identical messages fold into one");
    const [row] = await admin.unsafe(`select count(*)::int as n from "${schema}".items`);
    assert.is(row?.n, 3);
  });

  test("triggers: TRUNCATE … CASCADE and foreign-key cascades notify every table they change", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`
      create table "${schema}".authors (id int primary key);
      create table "${schema}".books (id int primary key, author int references "${schema}".authors on delete cascade);
      insert into "${schema}".authors values (1), (2);
      insert into "${schema}".books values (1, 1), (2, 2);`);
    await install([`${schema}.authors`, `${schema}.books`]);
    const cascaded = await listener.collect(() =>
      admin.unsafe(`delete from "${schema}".authors where id = 1`),
    );
    assert.equal(cascaded.sort(), [payload(schema, "authors"), payload(schema, "books")].sort());
    const truncated = await listener.collect(() => admin.unsafe(`truncate "${schema}".authors cascade`));
    assert.equal(truncated.sort(), [payload(schema, "authors"), payload(schema, "books")].sort());
  });

  test("triggers: a rolled-back transaction sends nothing; a committed one sends after commit", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".t (id int)`);
    await install([`${schema}.t`]);
    const rolledBack = await listener.collect(() =>
      admin
        .begin(async (tx) => {
          await tx.unsafe(`insert into "${schema}".t values (1)`);
          throw new Error("roll back");
        })
        .catch(() => {}),
    );
    assert.equal(rolledBack, []);
    const committed = await listener.collect(() =>
      admin.begin(async (tx) => {
        await tx.unsafe(`insert into "${schema}".t values (1)`);
        await tx.unsafe(`insert into "${schema}".t values (2)`);
      }),
    );
    assert.equal(committed, [payload(schema, "t")]);
  });

  test("triggers: partitions send their root's name; a partition created later is the gap verifySyncTriggers reports", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`
      create table "${schema}".events (id int, at int) partition by range (at);
      create table "${schema}".events_a partition of "${schema}".events for values from (0) to (10)
        partition by range (id);
      create table "${schema}".events_a1 partition of "${schema}".events_a for values from (0) to (100);`);
    await install([`${schema}.events`]);
    const message = payload(schema, "events");
    assert.equal(await listener.collect(() => admin.unsafe(`insert into "${schema}".events values (1, 1)`)), [
      message,
    ]);
    assert.equal(
      await listener.collect(() => admin.unsafe(`insert into "${schema}".events_a1 values (2, 2)`)),
      [message],
    );
    assert.equal(await listener.collect(() => admin.unsafe(`truncate "${schema}".events_a`)), [message]);
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), []);

    await admin.unsafe(
      `create table "${schema}".events_b partition of "${schema}".events for values from (10) to (20)`,
    );
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), [`${schema}.events_b`]);
    assert.equal(
      await listener.collect(() => admin.unsafe(`insert into "${schema}".events_b values (3, 15)`)),
      [],
      "the gap: a write straight into the new partition notifies nobody",
    );
    await install([`${schema}.events`]);
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), []);
    assert.equal(
      await listener.collect(() => admin.unsafe(`insert into "${schema}".events_b values (4, 16)`)),
      [message],
    );
  });

  test("triggers: quoted identifiers keep their case and spaces, and map to tableTag's tag", async () => {
    const schema = await schemaFor(`${uniqueName("Sync")} Schema`);
    await admin.unsafe(`create table "${schema}"."Order ""Items""" (id int)`);
    await install([`${schema}.Order "Items"`]);
    const [message] = await listener.collect(() =>
      admin.unsafe(`insert into "${schema}"."Order ""Items""" values (1)`),
    );
    assert.is(message, payload(schema, 'Order "Items"'));
    assert.equal(tableInvalidation({ schema, table: 'Order "Items"' }), {
      tags: [`table:${schema}.Order "Items"`],
    });
    assert.equal(tableInvalidation({ schema: "public", table: "users" }), { tags: ["table:users"] });
  });

  test("installSyncTriggers: idempotent; uninstall per table; verify lists what has no trigger", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".a (id int); create table "${schema}".b (id int)`);
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), [
      `${schema}.a`,
      `${schema}.b`,
    ]);
    await install([`${schema}.a`, `${schema}.b`]);
    await install([`${schema}.a`, `${schema}.b`]);
    const [count] = await admin`
      select count(*)::int as n from pg_trigger where tgrelid = ${`"${schema}".a`}::regclass and not tgisinternal`;
    assert.is(count?.n, 1, "installing twice leaves one trigger");
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), []);
    assert.equal(
      await verifySyncTriggers(admin, { schemas: [schema], channel: `${channel}_other` }),
      [`${schema}.a`, `${schema}.b`],
      "a trigger notifies one channel",
    );
    await uninstallSyncTriggers(admin, { tables: [`${schema}.a`], channel });
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), [`${schema}.a`]);
    assert.equal(await listener.collect(() => admin.unsafe(`insert into "${schema}".a values (1)`)), []);
  });

  test("syncTriggersSql: the text a migration tool runs installs the same triggers", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".m (id int)`);
    const text = syncTriggersSql({ tables: [`${schema}.m`], channel });
    assert.match(text, "create or replace function hydracache_sync.notify()");
    await admin.unsafe(text);
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), []);
    assert.equal(await listener.collect(() => admin.unsafe(`insert into "${schema}".m values (1)`)), [
      payload(schema, "m"),
    ]);
  });

  test("notifyInvalidation: sends inside the caller's transaction only; notifyFlush sends a flush", async () => {
    const event = { keys: ["user:1"], tags: ["users"] };
    const rolledBack = await listener.collect(() =>
      admin
        .begin(async (tx) => {
          await notifyInvalidation(tx, event, { channel });
          throw new Error("roll back");
        })
        .catch(() => {}),
    );
    assert.equal(rolledBack, []);
    const committed = await listener.collect(() =>
      admin.begin((tx) => notifyInvalidation(tx, event, { channel })),
    );
    assert.equal(
      committed.map((text) => JSON.parse(text)),
      [{ v: 1, keys: ["user:1"], tags: ["users"] }],
    );
    const many = Array.from({ length: 2_000 }, (_, i) => `key:${i}:${"€".repeat(3)}`);
    const split = await listener.collect(() => notifyInvalidation(admin, { keys: many }, { channel }));
    assert.ok(split.length > 1, "a large event is spread over several payloads");
    assert.equal(
      split.flatMap((text) => JSON.parse(text).keys),
      many,
    );
    assert.equal(await listener.collect(() => notifyFlush(admin, { channel })), ['{"v":1,"all":true}']);
  });

  test("trigger helpers: bad input rejects INVALID_OPTIONS naming what was wrong", async () => {
    const rejects = async (promise: Promise<unknown>, pattern: RegExp) => {
      try {
        await promise;
        assert.unreachable("resolved");
      } catch (error) {
        assert.ok(CacheError.is(error) && error.code === "INVALID_OPTIONS", String(error));
        assert.match((error as Error).message, pattern);
      }
    };
    await rejects(install([`${uniqueName("nowhere")}.t`]), /no such table: nowhere_/);
    await rejects(installSyncTriggers(admin, { tables: [] }), /tables must be a non-empty array/);
    await rejects(installSyncTriggers(admin, { tables: ["t"], channel: "x".repeat(64) }), /channel must be/);
    await rejects(verifySyncTriggers(admin, { schemas: "public" as never }), /schemas must be an array/);
    await rejects(notifyInvalidation(admin, { tag: "x" } as never), /event must be/);
    await rejects(notifyFlush(admin, { chanel: "x" } as never), /unknown option "chanel"/);
  });

  test("uninstallSyncTriggers without tables removes every trigger, function and the schema", async () => {
    const schema = await schemaFor();
    await admin.unsafe(`create table "${schema}".z (id int)`);
    await install([`${schema}.z`]);
    await uninstallSyncTriggers(admin);
    const [row] = await admin`select to_regnamespace('hydracache_sync') is null as gone`;
    assert.ok(row?.gone);
    assert.equal(await verifySyncTriggers(admin, { schemas: [schema], channel }), [`${schema}.z`]);
    assert.equal(await listener.collect(() => admin.unsafe(`insert into "${schema}".z values (1)`)), []);
  });
}

test.run();
