// Run by `npm run test:drizzle-versions` against a Drizzle release the adapter does not support
// yet (1.0 release candidates): the adapter must either work (a cached select hits, a write
// invalidates it) or refuse at setup with CacheError INVALID_OPTIONS naming what is missing,
// never fail later or with a raw error. Prints which, and exits non-zero only on a raw failure.
import { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/pglite";
import { hydraDrizzle } from "../src/drizzle/index.ts";
import { CacheError, HydraCache } from "../src/index.ts";

const users = pgTable("users", { id: integer().primaryKey(), name: text().notNull() });
const client = await PGlite.create();
try {
  await client.exec(
    "create table users (id integer primary key, name text not null); insert into users values (1, 'Ada')",
  );
  const cache = HydraCache.local().build();
  const db = hydraDrizzle(drizzle({ client }), cache, { strategy: "all" });
  const read = async () => (await db.select().from(users).where(eq(users.id, 1)))[0]?.name;
  await read();
  await read();
  await db.update(users).set({ name: "Ada Lovelace" }).where(eq(users.id, 1));
  const fresh = await read();
  if (cache.stats().hits !== 1 || fresh !== "Ada Lovelace") {
    throw new Error(`cached but wrong: ${JSON.stringify({ stats: cache.stats(), fresh })}`);
  }
  console.log("probe: supported (a cached select hit, and a write invalidated it)");
} catch (error) {
  if (!CacheError.is(error) || error.code !== "INVALID_OPTIONS") throw error;
  console.log(`probe: refused at setup, as it must be on an unsupported Drizzle: ${error.message}`);
} finally {
  await client.close();
}
