// Turns scripts/bench.sh's "label: figure" lines into one Markdown table with each row's goal
// (issue 11) and whether this run met it. Usage: node scripts/bench-table.mjs results.txt
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.includes(': '));
const rows = lines.map((line) => {
  const at = line.indexOf(': ');
  return { what: line.slice(0, at), figure: line.slice(at + 2) };
});
const num = (s) => Number(String(s).replace(/,/g, ''));
const field = (figure, re) => {
  const m = figure.match(re);
  return m ? num(m[1]) : NaN;
};
const reqPerSec = (f) => field(f, /([\d.,]+)\/s/);
const p50 = (f) => field(f, /p50 ([\d.]+) ms/);
const p99 = (f) => field(f, /p99 ([\d.]+) ms/);
const verdict = (ok) => (ok ? 'met' : '**missed**');

// [pattern on the label, goal text, check(figure) -> bool | undefined]
const goals = [
  // The goal is for the pages a shopper lands on (the catalog, a product), not for a
  // lazy route opened directly, which also loads its chunks.
  [/^wire bytes, first visit \/(products\/.*)?$/, '≤ 300,000 bytes', (f) => field(f, /^([\d,]+) bytes/) <= 300_000],
  [/^wire bytes, repeat visit/, '≈ 0 (only the page itself)', (f) => !/\b(wasm|js|css|image) [1-9]/.test(f)],
  [/^navigation to hydrated.*10 Mbps.*first visit/, '≤ 1,000 ms', (f) => field(f, /median ([\d.]+) ms/) <= 1000],
  [/^navigation to hydrated.*1\.6 Mbps.*first visit/, '≤ 3,000 ms', (f) => field(f, /median ([\d.]+) ms/) <= 3000],
  [/^webhook ingest/, '≥ 5,000/s, p99 ≤ 10 ms', (f) => reqPerSec(f) >= 5000 && p99(f) <= 10],
  [/^GET .*, shop$/, '≥ 5,000/s, p50 ≤ 3 ms', (f) => reqPerSec(f) >= 5000 && p50(f) <= 3],
];

// The shop's pages against the bare leptos_axum page measured in the same run.
const bare = rows.find((r) => /^GET .*\(fresh\).*, bare$/.test(r.what));
if (bare) {
  for (const r of rows.filter((r) => /^GET .*, shop$/.test(r.what))) {
    r.figure += ` — ${(reqPerSec(r.figure) / reqPerSec(bare.figure)).toFixed(2)}× the bare page`;
  }
}

console.log('| what | figure | goal | |');
console.log('|---|---|---|---|');
for (const { what, figure } of rows) {
  const goal = goals.find(([re]) => re.test(what));
  const ok = goal ? goal[2](figure) : undefined;
  console.log(`| ${what} | ${figure} | ${goal ? goal[1] : ''} | ${ok === undefined ? '' : verdict(ok)} |`);
}
