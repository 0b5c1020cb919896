import { CacheError, describe } from "../core/errors.ts";
import { checkOptionsObject } from "../sync/check.ts";
import { checkChannel, DEFAULT_CHANNEL, type PostgresClient } from "./messages.ts";

/**
 * Which tables to install sync triggers on, and the channel they notify.
 *
 * @example
 * const options: SyncTriggerOptions = { tables: ["users", "auth.posts"] };
 */
export interface SyncTriggerOptions {
  /** Table names as Drizzle gives them: `"users"` (schema `public`) or `"auth.posts"`, case kept, unquoted. */
  tables: readonly string[];
  /** @default "hydracache" */
  channel?: string;
}

/** The schema holding the trigger function (and the install/uninstall helpers). */
const SCHEMA = "hydracache_sync";

/** SQL string literal. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
/** SQL identifier, always quoted (names keep their case). */
const identifier = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** `"users"` → public.users, `"auth.posts"` → auth.posts (split at the first dot). */
function splitName(name: string): { schema: string; table: string } {
  const dot = name.indexOf(".");
  return dot === -1
    ? { schema: "public", table: name }
    : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** The `regclass` literal of a table name. */
const regclass = (name: string) => {
  const { schema, table } = splitName(name);
  return `${literal(`${identifier(schema)}.${identifier(table)}`)}::regclass`;
};

function checkTables(tables: unknown, where: string): readonly string[] {
  if (
    !Array.isArray(tables) ||
    tables.length === 0 ||
    !tables.every(
      (table) => typeof table === "string" && splitName(table).table.length > 0 && !table.startsWith("."),
    )
  ) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${where}: tables must be a non-empty array of table names ("users", "auth.posts"), got ${describe(tables)}`,
    );
  }
  return tables;
}

function checkTriggerOptions(
  options: SyncTriggerOptions,
  where: string,
): { tables: readonly string[]; channel: string } {
  const { tables, channel = DEFAULT_CHANNEL } = checkOptionsObject(options, ["tables", "channel"], where);
  return { tables: checkTables(tables, where), channel: checkChannel(channel, where) };
}

/** The functions every install creates (idempotently): the trigger function and the helpers. */
const FUNCTIONS = `create schema if not exists ${SCHEMA};

-- The trigger: one notification per statement, the payload computed at install time.
create or replace function ${SCHEMA}.notify() returns trigger language plpgsql as $fn$
begin
  perform pg_notify(tg_argv[0], tg_argv[1]);
  return null;
end
$fn$;

create or replace function ${SCHEMA}.trigger_name(channel text) returns text
language sql immutable as $fn$ select 'hydracache_sync_' || left(md5(channel), 12) $fn$;

-- (Re)installs the channel's trigger on a table and on every partition below it (pg_partition_tree
-- lists nothing for a table that is not partitioned, hence the union); a partition
-- sends its partitioned root's name. Run it again after creating partitions.
create or replace function ${SCHEMA}.install(target regclass, channel text) returns void
language plpgsql as $fn$
declare
  root regclass := coalesce(pg_partition_root(target), target);
  payload text;
  part regclass;
begin
  select format('{"v":1,"s":%s,"t":%s}', to_json(n.nspname::text), to_json(c.relname::text)) into payload
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = root;
  for part in select target union select relid from pg_partition_tree(target) loop
    execute format('drop trigger if exists %I on %s', ${SCHEMA}.trigger_name(channel), part);
    execute format(
      'create trigger %I after insert or update or delete or truncate on %s for each statement execute function ${SCHEMA}.notify(%L, %L)',
      ${SCHEMA}.trigger_name(channel), part, channel, payload);
  end loop;
end
$fn$;

create or replace function ${SCHEMA}.uninstall(target regclass, channel text) returns void
language plpgsql as $fn$
declare
  part regclass;
begin
  for part in select target union select relid from pg_partition_tree(target) loop
    execute format('drop trigger if exists %I on %s', ${SCHEMA}.trigger_name(channel), part);
  end loop;
end
$fn$;
`;

/**
 * The SQL that installs sync triggers, for migration tools (a Drizzle Kit custom migration, say):
 * a statement-level `AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE` trigger on each table and on
 * every current partition, sending `{"v":1,"s":schema,"t":table}` on the channel. Idempotent;
 * it runs in one transaction when sent as one script. Bad input throws `INVALID_OPTIONS`.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for bad options, tables or channel.
 *
 * @example
 * writeFileSync("drizzle/0042_sync_triggers.sql", syncTriggersSql({ tables: ["users", "auth.posts"] }));
 */
export function syncTriggersSql(options: SyncTriggerOptions): string {
  const { tables, channel } = checkTriggerOptions(options, "syncTriggersSql");
  const installs = tables.map(
    (table) => `select ${SCHEMA}.install(${regclass(table)}, ${literal(channel)});`,
  );
  return `-- hydracache sync triggers on channel ${literal(channel)}
select pg_advisory_xact_lock(hashtext('${SCHEMA}'));
${FUNCTIONS}
${installs.join("\n")}
`;
}

/** Table names of `tables` that do not exist (as tables), in order. */
async function missingTables(sql: PostgresClient, tables: readonly string[]): Promise<string[]> {
  const names = tables.map((table) => {
    const { schema, table: name } = splitName(table);
    return `${identifier(schema)}.${identifier(name)}`;
  });
  const rows = await sql<{ missing: boolean }[]>`
    select c.relkind is null or c.relkind not in ('r', 'p') as missing
      from jsonb_array_elements_text(${JSON.stringify(names)}::text::jsonb) with ordinality as t(name, n)
      left join pg_class c on c.oid = to_regclass(t.name)
     order by t.n`;
  return tables.filter((_, index) => rows[index]?.missing);
}

/**
 * Installs (idempotently, in one transaction) the sync triggers on `tables` and all their current
 * partitions. Needs the `TRIGGER` privilege on each table and `CREATE` on the database (for the
 * `hydracache_sync` schema). Partitions created later get no trigger until this runs again
 * (`verifySyncTriggers` reports them). A table that does not exist rejects `INVALID_OPTIONS`.
 *
 * @throws {CacheError} (rejects) `INVALID_OPTIONS` for bad options, tables or channel, or a missing table; a postgres.js error passes through, not wrapped.
 *
 * @example
 * await installSyncTriggers(sql, { tables: ["users", "auth.posts"] });
 */
export async function installSyncTriggers(sql: PostgresClient, options: SyncTriggerOptions): Promise<void> {
  const script = syncTriggersSql(options);
  const missing = await missingTables(sql, options.tables);
  if (missing.length > 0) {
    throw new CacheError("INVALID_OPTIONS", `installSyncTriggers: no such table: ${missing.join(", ")}`);
  }
  await sql.unsafe(script);
}

/**
 * Removes sync triggers: the channel's triggers on `tables` (and their partitions), or, without
 * `tables`, every trigger, function and the schema `installSyncTriggers` created.
 *
 * @throws {CacheError} (rejects) `INVALID_OPTIONS` for bad options, tables or channel; a postgres.js error passes through, not wrapped.
 *
 * @example
 * await uninstallSyncTriggers(sql, { tables: ["users"] });
 * await uninstallSyncTriggers(sql); // everything
 */
export async function uninstallSyncTriggers(
  sql: PostgresClient,
  options?: { tables?: readonly string[]; channel?: string },
): Promise<void> {
  const { tables, channel = DEFAULT_CHANNEL } = checkOptionsObject(
    options,
    ["tables", "channel"],
    "uninstallSyncTriggers",
  );
  checkChannel(channel, "uninstallSyncTriggers");
  if (tables === undefined) {
    await sql.unsafe(`drop schema if exists ${SCHEMA} cascade`);
    return;
  }
  const names = checkTables(tables, "uninstallSyncTriggers");
  const [row] = await sql<
    { installed: boolean }[]
  >`select to_regnamespace(${SCHEMA}) is not null as installed`;
  if (!row?.installed) return;
  await sql.unsafe(
    names.map((table) => `select ${SCHEMA}.uninstall(${regclass(table)}, ${literal(channel)});`).join("\n"),
  );
}

/**
 * Lists the tables and partitions in `schemas` (as `schema.table`) that have no enabled sync
 * trigger for the channel: writes to them notify nobody, so their cached results are bounded only
 * by TTL. Run it at start-up and in CI; after creating partitions, install again.
 *
 * @throws {CacheError} (rejects) `INVALID_OPTIONS` for bad options, schemas or channel; a postgres.js error passes through, not wrapped.
 *
 * @example
 * for (const table of await verifySyncTriggers(sql, { schemas: ["public", "auth"] })) {
 *   console.warn("no sync trigger on", table);
 * }
 */
export async function verifySyncTriggers(
  sql: PostgresClient,
  options?: { schemas?: readonly string[]; channel?: string },
): Promise<string[]> {
  const { schemas = ["public"], channel = DEFAULT_CHANNEL } = checkOptionsObject(
    options,
    ["schemas", "channel"],
    "verifySyncTriggers",
  );
  checkChannel(channel, "verifySyncTriggers");
  if (!Array.isArray(schemas) || !schemas.every((schema) => typeof schema === "string")) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `verifySyncTriggers: schemas must be an array of schema names, got ${describe(schemas)}`,
    );
  }
  const rows = await sql<{ name: string }[]>`
    select n.nspname || '.' || c.relname as name
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p')
       and n.nspname in (select jsonb_array_elements_text(${JSON.stringify(schemas)}::text::jsonb))
       and not exists (
         select 1
           from pg_trigger t
           join pg_proc p on p.oid = t.tgfoid
           join pg_namespace pn on pn.oid = p.pronamespace
          where t.tgrelid = c.oid
            and t.tgenabled <> 'D'
            and pn.nspname = ${SCHEMA}
            and p.proname = 'notify'
            and t.tgname = 'hydracache_sync_' || left(md5(${channel}), 12))
     order by 1`;
  return rows.map((row) => row.name);
}
