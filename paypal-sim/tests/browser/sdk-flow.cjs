// Browser test of the PayPal simulator's JS SDK stand-in and approval page, in Chromium:
// approve, decline then restart, pay by eCheck, cancel, close the popup, currency mismatch.
// Both pages run under a strict CSP; any CSP violation fails the test.
//
//   SIM_BASE=http://127.0.0.1:12112 node paypal-sim/tests/browser/sdk-flow.cjs
//
// (`run.sh` beside this file builds and starts the simulator and runs this.) Needs
// `playwright-core` on NODE_PATH and Chromium at /usr/bin/chromium (or CHROMIUM).
'use strict';
const assert = require('assert');
const { chromium } = require('playwright-core');
const { startShop } = require('./shop.cjs');

const SIM = process.env.SIM_BASE || 'http://127.0.0.1:12112';
const CLIENT_ID = process.env.PAYPAL_SIM_CLIENT_ID || 'paypal-sim-client-id';
const SECRET = process.env.PAYPAL_SIM_CLIENT_SECRET || 'paypal-sim-client-secret';

const violations = [];
function watch(p) {
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  p.on('pageerror', (e) => violations.push('page error: ' + e.message));
}

async function logLines(page) {
  return page.$$eval('#log li', (lis) => lis.map((li) => li.textContent));
}

async function waitForLog(page, re) {
  await page.waitForFunction(
    (src) => Array.from(document.querySelectorAll('#log li')).some((li) => new RegExp(src).test(li.textContent)),
    re.source,
    { timeout: 10000 },
  );
}

async function openCheckout(page) {
  const popup = page.waitForEvent('popup');
  await page.click('[title="PayPal"] [data-funding-source="paypal"]');
  const p = await popup;
  watch(p);
  await p.waitForURL(/\/checkoutnow\?token=/);
  await p.waitForSelector('#payment-submit-btn');
  return p;
}

async function main() {
  const shop = await startShop({ sim: SIM, clientId: CLIENT_ID, secret: SECRET });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const results = [];
  async function scenario(name, query, run) {
    const page = await browser.newPage();
    watch(page);
    await page.goto(shop.url + '/' + query);
    await waitForLog(page, /^rendered$/);
    await run(page);
    results.push(name);
    await page.close();
  }
  try {
    await scenario('approve with PayPal balance', '', async (page) => {
      const p = await openCheckout(page);
      assert.match(await p.textContent('#amount'), /10\.00 USD/);
      await p.click('#payment-submit-btn');
      await waitForLog(page, /^captured COMPLETED$/);
      const lines = await logLines(page);
      assert.ok(lines.some((l) => /^approved [A-Z0-9]{17} payer [A-Z0-9]{13}$/.test(l)), lines.join('\n'));
    });
    await scenario('declined card, then actions.restart()', '', async (page) => {
      const p = await openCheckout(page);
      await p.check('input[value="declined"]');
      const again = page.waitForEvent('popup');
      await p.click('#payment-submit-btn');
      await waitForLog(page, /^declined$/);
      const p2 = await again;
      watch(p2);
      await p2.waitForSelector('#payment-submit-btn');
      await p2.click('#payment-submit-btn');
      await waitForLog(page, /^captured COMPLETED$/);
    });
    await scenario('eCheck: capture pending', '', async (page) => {
      const p = await openCheckout(page);
      await p.check('input[value="pending"]');
      await p.click('#payment-submit-btn');
      await waitForLog(page, /^captured PENDING$/);
    });
    await scenario('cancel button', '', async (page) => {
      const p = await openCheckout(page);
      await p.click('#cancel-btn');
      await waitForLog(page, /^cancelled [A-Z0-9]{17}$/);
    });
    await scenario('popup closed by the buyer', '', async (page) => {
      const p = await openCheckout(page);
      await p.close();
      await waitForLog(page, /^cancelled [A-Z0-9]{17}$/);
    });
    await scenario('currency mismatch goes to onError', '?currency=USD&orderCurrency=EUR', async (page) => {
      await page.click('[title="PayPal"] [data-funding-source="paypal"]');
      await waitForLog(page, /^error Expected currency from order api call to be USD, got EUR/);
    });
    await scenario('createOrder rejects: onError, popup closed', '?failCreate=1', async (page) => {
      const popup = page.waitForEvent('popup');
      await page.click('[title="PayPal"] [data-funding-source="paypal"]');
      const p = await popup;
      await waitForLog(page, /^error shop could not create the order$/);
      await p.waitForEvent('close', { timeout: 5000 }).catch(() => {});
      assert.ok(p.isClosed(), 'the popup is closed after a failed createOrder');
    });
    await scenario('render rejects for a missing container', '', async (page) => {
      const message = await page.evaluate(() =>
        paypal.Buttons({}).render('#nope').then(() => 'resolved', (e) => e.message));
      assert.match(message, /does not exist/);
      assert.strictEqual(await page.evaluate(() => paypal.Buttons({}).isEligible()), true);
    });
    assert.deepStrictEqual(violations, [], 'no CSP violations or page errors');
    console.log('ok: ' + results.join('; '));
  } finally {
    await browser.close();
    shop.server.close();
  }
}

main().catch((e) => {
  console.error(e);
  if (violations.length) console.error('violations:', violations);
  process.exit(1);
});
