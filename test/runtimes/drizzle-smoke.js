// The portable smoke suite for "hydracache/drizzle" over embedded PGlite: plain JavaScript that
// imports nothing; the entry passes in hydracache, hydracache/drizzle, PGlite and drizzle-orm, so
// the same checks run in Node, Deno and Bun. Like smoke.js, it reports and never throws.

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  assert(a === b, `${what}: expected ${b}, got ${a}`);
}

/**
 * Runs the checks on a fresh in-memory PGlite database.
 * `lib`: `{ core, drizzleCache, PGlite, drizzle, pgCore, orm }` where `drizzle` is
 * `drizzle-orm/pglite`'s export, `pgCore` is `drizzle-orm/pg-core` and `orm` is `drizzle-orm`.
 */
export async function smokeDrizzle({ core, drizzleCache, PGlite, drizzle, pgCore, orm }) {
  const { HydraCache } = core;
  const { DrizzleDbCache, HydraDrizzleCache, withHydraCache, tableTag } = drizzleCache;
  const { pgTable, integer, text } = pgCore;
  const { eq } = orm;
  const users = pgTable("users", { id: integer("id").primaryKey(), name: text("name").notNull() });

  const client = new PGlite();
  // Count what reaches the database (Drizzle's logger also logs selects its cache answers).
  let queries = 0;
  const query = client.query.bind(client);
  client.query = (...args) => {
    queries++;
    return query(...args);
  };
  const plain = drizzle({ client });
  await plain.execute("create table users (id integer primary key, name text not null)");
  await plain.insert(users).values([
    { id: 1, name: "Ada" },
    { id: 2, name: "Grace" },
    { id: 3, name: "Edsger" },
  ]);

  const checks = {
    "tableTag names a table the same way from its object and its name": async () => {
      equal(tableTag(users), "table:users", "tableTag(users)");
      equal(tableTag("users"), "table:users", 'tableTag("users")');
    },
    "DrizzleDbCache: a query runs once, is tagged with its table, invalidateTable refreshes it": async () => {
      const cache = HydraCache.local().build();
      const queries_ = new DrizzleDbCache(cache, "db");
      const before = queries;
      const first = await queries_.cached().fetchAll(plain.select().from(users).orderBy(users.id));
      equal(first.length, 3, "rows");
      for (let i = 0; i < 5; i++) {
        equal(await queries_.cached().fetchAll(plain.select().from(users).orderBy(users.id)), first, "hit");
      }
      equal(queries - before, 1, "database queries for 6 identical reads");
      const one = await queries_
        .entity("user", 1)
        .fetchOne(plain.select().from(users).where(eq(users.id, 1)));
      equal(one, { id: 1, name: "Ada" }, "fetchOne");
      await plain.insert(users).values({ id: 4, name: "Barbara" });
      equal(
        (await queries_.cached().fetchAll(plain.select().from(users).orderBy(users.id))).length,
        3,
        "stale hit",
      );
      await queries_.invalidateTable(users);
      equal(
        (await queries_.cached().fetchAll(plain.select().from(users).orderBy(users.id))).length,
        4,
        "fresh",
      );
      equal((await cache.invalidateTag(tableTag(users))) > 0, true, "results carry the table tag");
      await plain.delete(users).where(eq(users.id, 4));
    },
    "HydraDrizzleCache: strategy all caches selects, a write through db invalidates its table": async () => {
      const cache = HydraCache.local().build();
      const db = withHydraCache(
        drizzle({ client, cache: new HydraDrizzleCache(cache, { strategy: "all", ttl: 60_000 }) }),
      );
      const before = queries;
      const read = () => db.select().from(users).orderBy(users.id);
      equal((await read()).length, 3, "first read");
      equal((await read()).length, 3, "second read");
      equal(queries - before, 1, "database queries for 2 reads");
      const concurrent = await Promise.all(
        Array.from({ length: 5 }, () => db.select().from(users).where(eq(users.id, 2))),
      );
      equal(
        concurrent.map((rows) => rows[0]?.name),
        ["Grace", "Grace", "Grace", "Grace", "Grace"],
        "concurrent reads",
      );
      equal(queries - before, 2, "5 concurrent identical selects share one query (single-flight)");
      await db.insert(users).values({ id: 5, name: "Frances" });
      equal((await read()).length, 4, "read after a write sees it");
      await db.delete(users).where(eq(users.id, 5));
      equal((await read()).length, 3, "read after a delete sees it");
    },
  };

  const failures = [];
  let passed = 0;
  try {
    for (const [name, check] of Object.entries(checks)) {
      try {
        await check();
        passed++;
      } catch (error) {
        failures.push(`${name}: ${error?.message ?? String(error)}`);
      }
    }
  } finally {
    await client.close();
  }
  return { ok: failures.length === 0, passed, failed: failures.length, failures };
}
