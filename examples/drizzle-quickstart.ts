// hydracache + Drizzle in one page, on embedded PGlite: `npx tsx examples/drizzle-quickstart.ts`.
import { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/pglite";
import { HydraCache } from "hydracache";
import { hydraDrizzle } from "hydracache/drizzle";

const users = pgTable("users", { id: integer().primaryKey(), name: text().notNull() });
const client = await PGlite.create();
await client.exec(
  "create table users (id integer primary key, name text not null); insert into users values (1, 'Ada')",
);

const cache = HydraCache.local().defaultTtl(60_000).build();
const db = hydraDrizzle(drizzle(client), cache, { strategy: "all" }); // every select is cached

const user1 = () => db.select().from(users).where(eq(users.id, 1));
console.log(await user1()); // [ { id: 1, name: 'Ada' } ]: a miss, one query
console.log(await user1()); // the same rows: a hit, no query
await db.update(users).set({ name: "Ada Lovelace" }).where(eq(users.id, 1)); // invalidates table:users
console.log(await user1()); // [ { id: 1, name: 'Ada Lovelace' } ]: fresh
console.log(cache.stats()); // hits 1, loads 2, …
await client.close();
