// The test-database resolver itself: a DATABASE_URL that was set on purpose must answer.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openTestDatabase } from "./test-db.ts";

test("openTestDatabase: a DATABASE_URL that does not answer fails loudly, never falling through to another server", async () => {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = "postgres://postgres:secret@127.0.0.1:1/nowhere";
  try {
    const outcome = await openTestDatabase().then(
      async (database) => {
        await database.close();
        return "opened";
      },
      (error: unknown) => error,
    );
    assert.instance(outcome, Error);
    assert.match(
      (outcome as Error).message,
      /DATABASE_URL is set \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere\) but does not answer/,
    );
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
});

test.run();
