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

module.exports = { query, execute };
