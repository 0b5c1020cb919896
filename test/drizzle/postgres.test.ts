// The Drizzle suite, the row-helper conformance suite and the race tests on a real PostgreSQL
// (see test-db.ts for how the server is found). Opened with top-level await: uvu hides errors
// thrown in `before` hooks.
import { concurrencySuite } from "./concurrency-suite.ts";
import { descriptorSuite } from "./descriptor-suite.ts";
import { drizzleConformance, drizzleSuite } from "./drizzle-suite.ts";
import { freshnessSuite } from "./freshness-suite.ts";
import { safetySuite } from "./safety-suite.ts";
import { openTestDatabase } from "./test-db.ts";

const database = await openTestDatabase();
const suites = [
  drizzleSuite(database),
  drizzleConformance(database),
  safetySuite(database),
  descriptorSuite(database),
  freshnessSuite(database),
];
if (database.concurrent) suites.push(concurrencySuite(database));
suites.at(-1)?.after(() => database.close());
for (const registered of suites) registered.run();
