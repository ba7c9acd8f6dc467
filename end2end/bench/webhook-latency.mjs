// Benchmark: time from the webhook's 2xx to the new status appearing in the browser.
//
// For each order: build it through the app's own server functions, open its page in Chromium
// (which subscribes to the live stream), deliver a signed `payment_intent.succeeded` exactly as
// Stripe would, note when the 2xx arrives, and let the page note when "Paid" is painted into the
// DOM. Prints the median and the 95th percentile. Run by scripts/bench.sh, which starts the app.
import { createHmac } from 'node:crypto';
import { chromium } from '@playwright/test';
// The default import: support-db.cjs picks its exports at run time (SQLite or PostgreSQL), which
// Node cannot see as named exports of a CommonJS module.
import supportDb from '../support-db.cjs';

const { query } = supportDb;

const BASE = process.env.BENCH_BASE ?? 'http://127.0.0.1:3300';
const DB = process.env.BENCH_DB;
const ORDERS = Number(process.env.BENCH_ORDERS ?? 50);

/** The embedded simulator's webhook signing secret, read from the app's database. */
function webhookSecret() {
  const [[body]] = query(DB, "SELECT body FROM stripe_sim_objects WHERE kind = 'webhook_endpoint'");
  return JSON.parse(body).secrets[0].value;
}

async function call(cookie, endpoint, form) {
  const res = await fetch(`${BASE}/api/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form),
  });
  const setCookie = res.headers.get('set-cookie');
  return { body: await res.json(), cookie: setCookie ? setCookie.split(';')[0] : cookie };
}

async function makeOrder() {
  let { cookie } = await call(null, 'cart/add', { product_id: '7', quantity: '1' });
  // Shipped to an address the default zones cover (end2end/tests/support/checkout.ts's NEW_YORK).
  const { body } = await call(cookie, 'checkout/start', {
    email: 'bench@example.com', name: 'Grace Hopper', line1: '350 Fifth Avenue', city: 'New York',
    region: 'NY', postal_code: '10118', country: 'US',
  });
  if (!body.order_id) throw new Error(`checkout/start answered ${JSON.stringify(body)}`);
  // Paying creates the PaymentIntent; a card that asks for authentication leaves it waiting
  // (the simulator sends no success of its own), and the bench delivers its success below.
  const { body: paid } = await call(cookie, 'checkout/pay', {
    order_id: body.order_id, revision: String(body.revision), with: 'pm_card_authenticationRequired',
  });
  const secret = paid?.Authenticate?.client_secret;
  if (!secret) throw new Error(`checkout/pay answered ${JSON.stringify(paid)}`);
  return { orderId: body.order_id, pi: secret.split('_secret_')[0], amount: body.total.minor };
}

async function deliver(secret, pi, amount, n) {
  const event = {
    id: `evt_bench_${Date.now()}_${n}`, object: 'event', type: 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1,
    data: { object: { id: pi, object: 'payment_intent', amount, amount_received: amount, currency: 'usd', status: 'succeeded', metadata: {} } },
  };
  const body = JSON.stringify(event, null, 2);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${BASE}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${v1}` },
    body,
  });
  const at = Date.now();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  return at;
}

const secret = webhookSecret();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
const latencies = [];
for (let n = 0; n < ORDERS; n++) {
  const { orderId, pi, amount } = await makeOrder();
  await page.goto(`${BASE}/orders/${orderId}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  // Stream connected: the first event (the current status) has been handled.
  await page.waitForSelector('[data-testid="order-status"][data-live="true"]');
  await page.evaluate(() => {
    window.__paidAt = new Promise((resolve) => {
      const el = document.querySelector('[data-testid="order-status"]');
      new MutationObserver(() => {
        if (el.textContent === 'Paid') resolve(Date.now());
      }).observe(el, { childList: true, characterData: true, subtree: true });
    });
  });
  const acked = await deliver(secret, pi, amount, n);
  const shown = await page.evaluate(() => window.__paidAt);
  latencies.push(shown - acked);
}
await browser.close();
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
console.log(`webhook 2xx -> status in the browser over ${latencies.length} orders: median ${pct(50)} ms, p95 ${pct(95)} ms, max ${latencies[latencies.length - 1]} ms`);
