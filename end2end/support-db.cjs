// Reads the shop's SQLite database directly, not through the app: one python3 run of its
// sqlite3 module per query (no native Node module to build). Plain CommonJS so that both the
// Playwright tests (tests/support/db.ts, via require) and the benchmark (bench/*.mjs, via
// import) load this one copy, on any Node version.
'use strict';

const { execFileSync } = require('node:child_process');

const SCRIPT = [
  'import json, sqlite3, sys',
  'rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()',
  'print(json.dumps(rows))',
].join('\n');

/**
 * Runs one SQL statement on the database file `db` with `?` parameters and returns every row as
 * an array of column values (JSON types: numbers, strings, null).
 *
 * @param {string} db path of the SQLite file
 * @param {string} sql one statement, with `?` placeholders
 * @param {...(string | number | null)} params values for the placeholders, in order
 * @returns {unknown[][]}
 */
function query(db, sql, ...params) {
  const out = execFileSync('python3', ['-c', SCRIPT, db, sql, JSON.stringify(params)], { encoding: 'utf8' });
  return JSON.parse(out);
}

const WRITE = [
  'import json, sqlite3, sys',
  'db = sqlite3.connect(sys.argv[1], timeout=10)',
  'db.execute(sys.argv[2], json.loads(sys.argv[3]))',
  'db.commit()',
].join('\n');

/**
 * Runs one writing statement on `db` and commits it: for a test's own set-up (a discount code the
 * merchant would make in the admin), never to change what a test then asserts.
 */
function execute(db, sql, ...params) {
  execFileSync('python3', ['-c', WRITE, db, sql, JSON.stringify(params)], { encoding: 'utf8' });
}

// With E2E_BACKEND=postgres (scripts/test.sh's PostgreSQL pass), the shops run on databases of
// the test cluster (TEST_POSTGRES_URL) named after their SQLite files (serve.sh), and these read
// them with psql instead. The `?` parameters become SQL literals (test values only).
const onPostgres = process.env.E2E_BACKEND === 'postgres';

function postgresUrl(db) {
  const name = 'e2e_' + require('node:path').basename(db, '.db').replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const server = process.env.TEST_POSTGRES_URL;
  if (!server) throw new Error('E2E_BACKEND=postgres needs TEST_POSTGRES_URL');
  const [base, params] = server.split('?');
  return base.replace(/\/[^/]*$/, '/' + name) + (params ? '?' + params : '');
}

function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return String(value);
  return "'" + String(value).replace(/'/g, "''") + "'";
}

function bind(sql, params) {
  let n = 0;
  return sql.replace(/\?/g, () => literal(params[n++]));
}

function psql(db, sql) {
  return execFileSync('psql', [postgresUrl(db), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
}

function queryPostgres(db, sql, ...params) {
  const out = psql(db, `SELECT coalesce(json_agg(t), '[]'::json) FROM (${bind(sql, params)}) t`);
  return JSON.parse(out).map((row) => Object.values(row));
}

function executePostgres(db, sql, ...params) {
  psql(db, bind(sql, params));
}

// The simulators' own tables stay in the SQLite file on either backend.
const simulators = (sql) => /\b(stripe|paypal)_sim_/.test(sql);

module.exports = onPostgres
  ? {
      query: (db, sql, ...params) => (simulators(sql) ? query : queryPostgres)(db, sql, ...params),
      execute: (db, sql, ...params) => (simulators(sql) ? execute : executePostgres)(db, sql, ...params),
    }
  : { query, execute };
