import { memoryFixture } from "./memory-source.ts";
import { rowHelperConformance } from "./row-conformance.ts";

rowHelperConformance("an in-memory source", async () => memoryFixture()).run();
