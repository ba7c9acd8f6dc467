import { E2E_DB, HEAL_DB, HOSTED_DB } from './env';

/** A value for a `?` placeholder. */
export type SqlParam = string | number | null;

// The implementation is plain JavaScript, shared with the benchmark (which runs under plain node).
const shared = require('../../support-db.cjs') as {
  query(db: string, sql: string, ...params: SqlParam[]): unknown[][];
  execute(db: string, sql: string, ...params: SqlParam[]): void;
};

/** Writes to the end-to-end shop's database, for a test's own set-up. */
export function execute(sql: string, ...params: SqlParam[]): void {
  shared.execute(E2E_DB, sql, ...params);
}

/**
 * Reads the end-to-end shop's database directly (python3's sqlite3), not through the app: every
 * row as an array of column values, e.g. `query('SELECT status FROM orders WHERE id = ?', id)`.
 */
export function query<Row extends unknown[] = unknown[]>(sql: string, ...params: SqlParam[]): Row[] {
  return shared.query(E2E_DB, sql, ...params) as Row[];
}

/** The same, on the hosted Checkout shop's database. */
export function hostedQuery<Row extends unknown[] = unknown[]>(sql: string, ...params: SqlParam[]): Row[] {
  return shared.query(HOSTED_DB, sql, ...params) as Row[];
}

/** The same, on the self-healing shop's database. */
export function healQuery<Row extends unknown[] = unknown[]>(sql: string, ...params: SqlParam[]): Row[] {
  return shared.query(HEAL_DB, sql, ...params) as Row[];
}
