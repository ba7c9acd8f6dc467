// Turns scripts/bench.sh's "label: figure" lines into one Markdown table with each row's goal
// (issue 11), whether this run met it, and what limits the figure; then the run's notes (lines
// whose label starts with "note"). A row measured on PostgreSQL has its SQLite row's label plus
// ", PostgreSQL" and is listed right under it. Usage: node scripts/bench-table.mjs results.txt
import { readFileSync } from 'node:fs';

const PG = ', PostgreSQL';
const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.includes(': '));
const all = lines.map((line) => {
  const at = line.indexOf(': ');
  return { what: line.slice(0, at), figure: line.slice(at + 2) };
});
const notes = all.filter((r) => /^note\b/.test(r.what));
const measured = all.filter((r) => !/^note\b/.test(r.what));
const num = (s) => Number(String(s).replace(/,/g, ''));
const field = (figure, re) => {
  const m = figure.match(re);
  return m ? num(m[1]) : NaN;
};
const reqPerSec = (f) => field(f, /([\d.,]+)\/s,/);
const p50 = (f) => field(f, /p50 ([\d.]+) ms/);
const p99 = (f) => field(f, /p99 ([\d.]+) ms/);
const perQuery = (f) => field(f, /^([\d.]+) ms per query/);
// The CPU per answered request that bench.sh adds to a load row: the server's plus PostgreSQL's.
const cpuPerRequest = (f) => {
  const m = f.match(/CPU per request: server (\d+) µs(?: \+ PostgreSQL (\d+) µs)?/);
  return m ? num(m[1]) + (m[2] ? num(m[2]) : 0) : NaN;
};
const verdict = (ok) => (ok ? 'met' : '**missed**');

// The SQLite row a PostgreSQL row is measured against.
const twinOf = (what) => (what.endsWith(PG) ? measured.find((r) => r.what === what.slice(0, -PG.length)) : undefined);

// [pattern on the label, goal text, check(figure, row) -> bool | undefined]
const goals = [
  // The goal is for the pages a shopper lands on (the catalog, a product), not for a
  // lazy route opened directly, which also loads its chunks.
  [/^wire bytes, first visit \/(products\/.*)?$/, '≤ 300,000 bytes', (f) => field(f, /^([\d,]+) bytes/) <= 300_000],
  [/^wire bytes, repeat visit/, '≈ 0 (only the page itself)', (f) => !/\b(wasm|js|css|image) [1-9]/.test(f)],
  [/^navigation to hydrated.*10 Mbps.*first visit/, '≤ 1,000 ms', (f) => field(f, /median ([\d.]+) ms/) <= 1000],
  [/^navigation to hydrated.*1\.6 Mbps.*first visit/, '≤ 3,000 ms', (f) => field(f, /median ([\d.]+) ms/) <= 3000],
  [/^webhook ingest/, '≥ 5,000/s, p99 ≤ 10 ms', (f) => reqPerSec(f) >= 5000 && p99(f) <= 10],
  [/^GET .*, shop$/, '≥ 5,000/s, p50 ≤ 3 ms', (f) => reqPerSec(f) >= 5000 && p50(f) <= 3],
  // On PostgreSQL, the same page against SQLite's figure in the same run.
  [/^GET .*, shop, PostgreSQL$/, '≥ 80 % of SQLite’s /s', (f, row) => {
    const twin = twinOf(row.what);
    return twin ? reqPerSec(f) >= 0.8 * reqPerSec(twin.figure) : undefined;
  }],
  // The admin at 1,000,000 orders (the count of every order is the old query, for reference).
  [/^admin at \d+ orders, (first page|page \d+ deep|search by email|date range)/, '≤ 5 ms', (f) => perQuery(f) <= 5],
  [/^admin at \d+ orders, counts per status(, date range|, email search)?(, PostgreSQL)?$/, '≤ 20 ms', (f) => perQuery(f) <= 20],
];

// What limits each figure: from the code and from measurements (the CPU per request and how
// busy the cores were are in the load rows' figures; PostgreSQL's statements by time in
// target/bench/pg-statements.txt). First match wins.
const limits = [
  [/^wire bytes, first visit/, 'the shopper’s wasm (checkout.wasm) is most of it'],
  [/^navigation to hydrated.*Mbps.*first visit/, 'downloading the wasm at the emulated bandwidth'],
  [/^webhook ingest.*PostgreSQL, synchronous_commit=off/, 'as the row above without waiting for the WAL flush at commit: what is left is the round trips'],
  [/^webhook ingest.*PostgreSQL/, 'one writer task, one batch at a time under the one advisory lock: ~5 sequential round trips per event (savepoint, 2 reads, insert, release) + BEGIN, lock, COMMIT per batch — no pipelining in sqlx; one WAL flush per batch (the synchronous_commit=off row: what the flush costs)'],
  [/^webhook ingest/, 'one writer task, one batch at a time, each batch one SQLite transaction in process (no round trips); 2 cores shared by client and server'],
  [/^GET .*\(fresh\).*, shop, PostgreSQL$/, 'CPU: the cores are busy and a request costs more of it than on SQLite (server + PostgreSQL; the ratio is in the figure): every query a pool acquire with its ping round trip (test_before_acquire) over TCP, no pipelining; a new visitor’s session is a transaction of its own (BEGIN, exists, insert, COMMIT + WAL flush, tower-sessions’ PostgresStore); 2 cores shared by client, server and PostgreSQL'],
  [/^GET .*, shop, PostgreSQL$/, 'CPU: the cores are busy and a request costs more of it than on SQLite (server + PostgreSQL; the ratio is in the figure): session, cart and catalog each a pooled query, each acquire with its ping round trip (test_before_acquire) over TCP; 2 cores shared by client, server and PostgreSQL'],
  [/^GET .*, (shop|baseline)$/, 'CPU: 2 cores shared by client and server (render, session, sessions’ batched writes, reads on kept SQLite connections)'],
  [/^GET .*, bare$/, 'CPU: 2 cores shared by client and server; no database'],
  [/^admin .*(search by email|email search).*PostgreSQL$/, 'a sequential scan of every order: ILIKE cannot use orders_email (an index under the nondeterministic ICU collation nocase)'],
  [/^admin .*counted from every order.*PostgreSQL$/, 'an index-only scan of all (created_at, status) entries (2 parallel workers on 2 cores); the query the kept counts replaced'],
  [/^admin .*counts per status, date range, PostgreSQL$/, 'an index-only scan of (created_at, status) over the range (the visibility map: VACUUM after the fill)'],
  [/^admin .*PostgreSQL$/, 'round trips: the pool’s ping + the query over TCP; an index range read'],
  [/^admin .*counted from every order/, 'reading every (created_at, status) index entry; the query the kept counts replaced'],
  [/^admin /, 'an index range read in process'],
];

// The shop's pages against the bare leptos_axum page measured in the same run, and a
// PostgreSQL row against its SQLite row.
const bare = measured.find((r) => /^GET .*\(fresh\).*, bare$/.test(r.what));
for (const r of measured) {
  const twin = twinOf(r.what);
  const parts = [];
  if (twin && /\/s,/.test(r.figure)) parts.push(`${(reqPerSec(r.figure) / reqPerSec(twin.figure)).toFixed(2)}× SQLite’s /s`);
  if (twin && cpuPerRequest(r.figure) && cpuPerRequest(twin.figure)) {
    parts.push(`${(cpuPerRequest(r.figure) / cpuPerRequest(twin.figure)).toFixed(1)}× SQLite’s CPU per request`);
  }
  if (twin && /ms per query/.test(r.figure)) parts.push(`${(perQuery(r.figure) / perQuery(twin.figure)).toFixed(1)}× SQLite’s time`);
  if (bare && /^GET .*, shop(, PostgreSQL)?$/.test(r.what)) {
    parts.push(`${(reqPerSec(r.figure) / reqPerSec(bare.figure)).toFixed(2)}× the bare page`);
  }
  if (parts.length) r.extra = ` — ${parts.join(', ')}`;
}

// Each PostgreSQL row right under its SQLite row.
const rows = measured.filter((r) => !twinOf(r.what));
for (const r of measured.filter((r) => twinOf(r.what))) {
  const twin = twinOf(r.what);
  let at = rows.indexOf(twin) + 1;
  while (at < rows.length && rows[at].what.endsWith(PG)) at++;
  rows.splice(at, 0, r);
}

const cell = (s) => s.replace(/\|/g, '\\|');
console.log('| what | figure | goal | | limit |');
console.log('|---|---|---|---|---|');
for (const row of rows) {
  const goal = goals.find(([re]) => re.test(row.what));
  const ok = goal ? goal[2](row.figure, row) : undefined;
  const limit = limits.find(([re]) => re.test(row.what));
  console.log(
    `| ${cell(row.what)} | ${cell(row.figure + (row.extra ?? ''))} | ${goal ? goal[1] : ''} | ${ok === undefined ? '' : verdict(ok)} | ${limit ? limit[1] : ''} |`,
  );
}
if (notes.length) {
  console.log('');
  console.log('Notes:');
  for (const n of notes) console.log(`- ${n.what.replace(/^note,? ?/, '')}: ${n.figure}`);
  console.log('- Rows without “PostgreSQL” are on SQLite (WAL, synchronous=NORMAL: a commit is not flushed to disk).');
}
