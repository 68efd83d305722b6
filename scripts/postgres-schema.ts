/**
 * The PostgreSQL schema is the SQLite one (prisma/schema.prisma, the only one edited) with another provider and
 * client output; every model, column and index is the same. Pure, so a unit test compares it with the committed
 * prisma/postgres/schema.prisma.
 */
const HEADER =
  "// GENERATED from prisma/schema.prisma by `npm run db:derive-postgres` (scripts/derive-postgres.ts): edit that\n" +
  "// file, then run the script; tests/unit/store/postgres-schema.test.ts fails when this one has drifted.\n\n";

export function derivePostgresSchema(sqliteSchema: string): string {
  const replace = (text: string, pattern: RegExp, replacement: string, what: string): string => {
    if (!pattern.test(text)) throw new Error(`prisma/schema.prisma has no ${what} to derive from`);
    return text.replace(pattern, replacement);
  };
  let schema = replace(
    sqliteSchema,
    /(datasource db \{[^}]*provider\s*=\s*)"sqlite"/,
    '$1"postgresql"',
    'datasource with provider "sqlite"',
  );
  // The derived schema sits one folder deeper and generates its own client beside the SQLite one.
  schema = replace(
    schema,
    /(generator client \{[^}]*output\s*=\s*)"\.\.\/server\/store\/generated\/prisma"/,
    '$1"../../server/store/generated/prisma-pg"',
    'client generator with output "../server/store/generated/prisma"',
  );
  return HEADER + schema;
}
