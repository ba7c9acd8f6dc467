// Benchmark (prints figures, asserts nothing): what Chromium downloads for a page and how long
// the page takes to become interactive (hydrated), against a running release server.
//
//   - bytes on the wire (CDP encodedDataLength: headers + encoded body, as received) on a first
//     visit (new browser context, empty cache) and on a repeat visit (same context, the page
//     opened again by navigation);
//   - time from navigation start to hydrated — `body[data-hydrated="true"]`, set by the wasm
//     right after `hydrate_body` — for a product page, cold cache, under network emulation
//     (CDP Network.emulateNetworkConditions; no CPU throttling), median of BENCH_RUNS runs.
//
// Output: one "label: figure" line per measurement (scripts/bench.sh turns them into a table).
import { chromium } from '@playwright/test';

const BASE = process.env.BENCH_BASE ?? 'http://127.0.0.1:3300';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PRODUCT = process.env.BENCH_PRODUCT ?? '/products/stoneware-mug';

// Throughput in bytes/s; latency is the added round-trip time in ms.
const NETWORKS = [
  { name: 'unthrottled', conditions: null },
  { name: '10 Mbps, 40 ms RTT', conditions: { latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 5e6 / 8 } },
  { name: '1.6 Mbps, 150 ms RTT', conditions: { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 } },
];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** Records when the wasm marks the body hydrated, in ms since navigation start. */
function markHydration() {
  new MutationObserver((_, observer) => {
    if (document.body && document.body.dataset.hydrated === 'true') {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
}

/** A page whose network traffic is counted through CDP. */
async function countedPage(context, conditions) {
  const page = await context.newPage();
  await page.addInitScript(markHydration);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (conditions) {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });
  }
  const responses = new Map();
  let finished = [];
  cdp.on('Network.responseReceived', (e) => {
    responses.set(e.requestId, {
      url: e.response.url,
      encoding: (e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'] ?? '').toLowerCase(),
      cached: e.response.fromDiskCache || e.response.fromPrefetchCache || false,
    });
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    const r = responses.get(e.requestId);
    if (r) r.cached = true;
  });
  cdp.on('Network.loadingFinished', (e) => {
    finished.push({ ...responses.get(e.requestId), bytes: e.encodedDataLength });
  });
  return {
    page,
    /** Navigates, waits until hydrated and the network is idle; returns what was received. */
    async visit(path) {
      finished = [];
      await page.goto(`${BASE}${path}`);
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60_000 });
      await page.waitForLoadState('networkidle');
      const hydratedMs = await page.evaluate(() => window.__hydratedAt);
      return { hydratedMs, requests: finished.slice() };
    },
  };
}

function kind(url = '') {
  const path = new URL(url).pathname;
  const ext = path.match(/\.(wasm|js|css|svg|png|jpg|webp)$/)?.[1];
  if (ext) return ext === 'png' || ext === 'jpg' || ext === 'webp' ? 'image' : ext === 'svg' ? 'image' : ext;
  if (path.startsWith('/api/')) return 'api';
  return 'html';
}

function summary(requests) {
  const by = {};
  let total = 0;
  for (const r of requests) {
    const k = kind(r.url);
    by[k] = by[k] ?? { bytes: 0, n: 0, enc: new Set() };
    by[k].bytes += r.bytes;
    by[k].n += 1;
    if (r.encoding) by[k].enc.add(r.encoding);
    total += r.bytes;
  }
  const parts = Object.entries(by)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([k, v]) => `${k} ${v.bytes.toLocaleString('en')}${v.n > 1 ? ` (${v.n} files)` : ''}${v.enc.size ? ` ${[...v.enc].join('/')}` : ''}`);
  return `${total.toLocaleString('en')} bytes in ${requests.length} requests (${parts.join(', ')})`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

// Bytes: first and repeat visit, for the catalog and for a product page.
for (const path of ['/', PRODUCT]) {
  const context = await browser.newContext();
  const { visit } = await countedPage(context, null);
  const first = await visit(path);
  console.log(`wire bytes, first visit ${path}: ${summary(first.requests)}`);
  const repeat = await visit(path);
  console.log(`wire bytes, repeat visit ${path}: ${summary(repeat.requests)}`);
  await context.close();
}

// Time to hydrated, cold cache (a new context each run), then warm (the same page again).
for (const { name, conditions } of NETWORKS) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const { visit } = await countedPage(context, conditions);
    cold.push((await visit(PRODUCT)).hydratedMs);
    warm.push((await visit(PRODUCT)).hydratedMs);
    await context.close();
  }
  const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, ${xs.length} runs)`;
  console.log(`navigation to hydrated ${PRODUCT}, ${name}, first visit: ${fmt(cold)}`);
  console.log(`navigation to hydrated ${PRODUCT}, ${name}, repeat visit: ${fmt(warm)}`);
}

await browser.close();
