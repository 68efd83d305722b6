import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

// PostgreSQL's catalog type for identifiers, and its array. Prisma 6.19's pg adapter knows neither, yet the
// WebAssembly schema engine reads catalogs (information_schema, pg_catalog) that return them, so every migrate
// command fails with "Column type 'name' could not be deserialized" (prisma/prisma issue 27403, open). `name` is
// text of at most 63 bytes, and its text form is the identifier itself.
const NAME_OID = 19;
const NAME_ARRAY_OID = 1003;
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

function relabelCatalogTypes<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    for (const field of (one as pg.QueryResult | undefined)?.fields ?? []) {
      if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
      else if (field.dataTypeID === NAME_ARRAY_OID) field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
  return result;
}

/**
 * The driver adapter Prisma's CLI migrates PostgreSQL through (prisma.config.ts): the pg adapter over a pool whose
 * clients report `name` columns as the text they are. The application's own client (db.ts) never reads catalogs and
 * uses the plain adapter.
 */
export function postgresMigrationAdapter(url: string): PrismaPg {
  // The CLI never disposes the adapter: idle connections close quickly and let the process exit once it is done,
  // instead of holding it for pg's default 10 s idle timeout.
  const pool = new pg.Pool({ connectionString: url, idleTimeoutMillis: 200, allowExitOnIdle: true });
  // Queries reach pg through the pool (pool.query) and through checked-out clients (transactions).
  pool.query = relabelling(pool.query.bind(pool));
  pool.on("connect", (client) => {
    client.query = relabelling(client.query.bind(client));
  });
  return new PrismaPg(pool);
}

function relabelling<Query extends (...args: never[]) => unknown>(query: Query): Query {
  const relabelled = (...args: Parameters<Query>): unknown => {
    const result = query(...args);
    return result instanceof Promise ? result.then(relabelCatalogTypes) : result;
  };
  return relabelled as Query;
}
