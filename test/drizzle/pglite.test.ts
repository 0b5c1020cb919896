// The same Drizzle suite on embedded PGlite, so the adapter is exercised without a server.
// PGlite runs one statement at a time, so the race tests run on the real server only.
import { descriptorSuite } from "./descriptor-suite.ts";
import { drizzleConformance, drizzleSuite } from "./drizzle-suite.ts";
import { freshnessSuite } from "./freshness-suite.ts";
import { safetySuite } from "./safety-suite.ts";
import { openPglite } from "./test-db.ts";

const database = await openPglite();
const conformance = drizzleConformance(database);
conformance.after(() => database.close());
drizzleSuite(database).run();
safetySuite(database).run();
descriptorSuite(database).run();
freshnessSuite(database).run();
conformance.run();
