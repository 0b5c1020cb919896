// Foreign keys a write cascades through: learned from Drizzle's tables and from the database's
// catalog, read at most once a minute by the engine's clock, a failed read reported once.
import { integer, pgTable } from "drizzle-orm/pg-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  attachCatalog,
  CATALOG_REFRESH,
  learnForeignKeys,
  refreshCatalog,
  withCascades,
} from "../../src/drizzle/cascades.ts";
import { capturingWarnings } from "./test-db.ts";

test("withCascades: the written tables and, transitively, the tables their changing foreign keys reach", () => {
  const a = pgTable("cascade_a", { id: integer("id").primaryKey() });
  const b = pgTable("cascade_b", { a: integer("a").references(() => a.id, { onDelete: "cascade" }) });
  const c = pgTable("cascade_c", { b: integer("b").references(() => b.a, { onUpdate: "set default" }) });
  for (const table of [a, b, c, c]) learnForeignKeys(table);
  assert.equal(withCascades(["cascade_a"]).sort(), ["cascade_a", "cascade_b", "cascade_c"]);
  assert.equal(withCascades(["cascade_c"]), ["cascade_c"]);
});

test("refreshCatalog: reads the catalog at most once per CATALOG_REFRESH, and learns what it finds", async () => {
  const owner = {};
  let reads = 0;
  attachCatalog(owner, async () => {
    reads++;
    return [{ referencing: "catalog_child", referenced: "catalog_parent" }];
  });
  await refreshCatalog(owner, 1_000);
  await refreshCatalog(owner, 1_000 + CATALOG_REFRESH - 1);
  assert.is(reads, 1);
  await refreshCatalog(owner, 1_000 + CATALOG_REFRESH);
  assert.is(reads, 2);
  assert.equal(withCascades(["catalog_parent"]), ["catalog_parent", "catalog_child"]);
  await refreshCatalog({}, 0); // no catalog attached: nothing to read
});

test("refreshCatalog: a catalog that cannot be read is reported once, and the write goes on", async () => {
  const owner = {};
  attachCatalog(owner, async () => {
    throw new Error("permission denied for table pg_constraint");
  });
  const warnings = await capturingWarnings(async () => {
    await refreshCatalog(owner, 0);
    await refreshCatalog(owner, CATALOG_REFRESH);
  });
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? "", /cannot read the database's foreign keys \(Error: permission denied/);
});

test.run();
