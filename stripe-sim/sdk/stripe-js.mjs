// The Stripe.js stand-in in a real browser (Debian's Chromium, Playwright from end2end/):
// deferred-intent Elements, createConfirmationToken, server-side create-and-confirm with the
// token, handleNextAction's 3-D Secure modal, the Card Element's createPaymentMethod, and the
// hosted Checkout page. Run by scripts/sdk-tests.sh with SIM_BASE, SIM_SK, SIM_PK and
// PLAYWRIGHT (the playwright package's folder) set. Prints `ok - …` / `not ok - …` lines.
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT);
const SIM = process.env.SIM_BASE;
const SK = process.env.SIM_SK;
const PK = process.env.SIM_PK;
const html = `<!doctype html><html><head><meta charset="utf-8"><script src="${SIM}/v3/"></script></head>
<body><div id="pe"></div><div id="card"></div>
<script>
window.stripe = Stripe(${JSON.stringify(PK)});
window.elements = stripe.elements({mode: 'payment', amount: 2000, currency: 'usd'});
window.pe = elements.create('payment');
window.updateEnds = 0;
pe.on('update-end', () => { window.updateEnds += 1; });
pe.on('ready', () => { window.ready = true; });
pe.mount('#pe');
</script></body></html>`;
const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/html'); res.end(html); }).listen(0, '127.0.0.1');
await new Promise(r => server.on('listening', r));
const shop = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const page = await browser.newPage();
let bad = 0;
const check = (name, cond, extra) => {
  if (cond) {
    console.log(`ok - stripe.js: ${name}`);
  } else {
    bad++;
    console.log(`not ok - stripe.js: ${name} ${extra ?? ''}`);
  }
};
async function sk(method, path, form) {
  const r = await fetch(SIM + path, { method, headers: { Authorization: `Bearer ${SK}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form ? new URLSearchParams(form).toString() : undefined });
  return { status: r.status, body: await r.json() };
}
await page.goto(shop);
await page.waitForFunction(() => window.ready === true);
const frame = page.frameLocator('#pe iframe');
async function fill(number) {
  await frame.locator('input[name="number"]').fill(number);
  await frame.locator('input[name="expiry"]').fill('12 / 34');
  await frame.locator('input[name="cvc"]').fill('123');
  const postal = frame.locator('input[name="postalCode"]');
  if (await postal.isVisible()) await postal.fill('94103');
}
// Without submit(): throws.
await fill('4242424242424242');
let err = await page.evaluate(async () => { try { await stripe.createConfirmationToken({ elements }); return 'no throw'; } catch (e) { return e.name + ': ' + e.message; } });
check('createConfirmationToken without submit throws', /IntegrationError: elements.submit\(\) must be called before stripe.createConfirmationToken\(\)/.test(err), err);
// update() emits update-end and changes the amount.
await page.evaluate(async () => { await elements.update({ amount: 3100 }); });
check('update-end emitted', (await page.evaluate(() => window.updateEnds)) === 1);
let r = await page.evaluate(async () => {
  const s = await elements.submit();
  if (s.error) return { submitError: s.error };
  return stripe.createConfirmationToken({ elements, params: { return_url: 'https://shop.example/return', shipping: { name: 'Jenny', address: { line1: '1 Main', city: null, country: 'US', postal_code: '94103', state: null, line2: null }, phone: null }, payment_method_data: { billing_details: { name: 'Jenny', email: 'j@example.com' } } } });
});
check('token created', r.confirmationToken && r.confirmationToken.id.startsWith('ctoken_'), JSON.stringify(r));
const token = r.confirmationToken;
check('preview last4', token && token.payment_method_preview.card.last4 === '4242');
check('billing name', token && token.payment_method_preview.billing_details.name === 'Jenny');
// Server side: create + confirm.
let pi = await sk('POST', '/v1/payment_intents', { amount: '3100', currency: 'usd', confirm: 'true', confirmation_token: token.id, 'automatic_payment_methods[enabled]': 'true' });
check('server create+confirm succeeded', pi.status === 200 && pi.body.status === 'succeeded', JSON.stringify(pi.body).slice(0, 300));
check('shipping from token', pi.body.shipping && pi.body.shipping.name === 'Jenny');
// Second token needs a new submit.
err = await page.evaluate(async () => { try { await stripe.createConfirmationToken({ elements }); return 'no throw'; } catch (e) { return e.name; } });
check('a second token needs submit() again', err === 'IntegrationError', err);
// Currency update → token records eur → mismatch with a usd PI.
await page.evaluate(async () => { await elements.update({ currency: 'eur' }); });
r = await page.evaluate(async () => { await elements.submit(); return stripe.createConfirmationToken({ elements, params: { return_url: 'https://shop.example/return' } }); });
pi = await sk('POST', '/v1/payment_intents', { amount: '3100', currency: 'usd', confirm: 'true', confirmation_token: r.confirmationToken.id });
check('currency mismatch 400', pi.status === 400 && /provided currency \(usd\) does not match the expected currency \(eur\)/.test(pi.body.error.message), JSON.stringify(pi.body));
// 3DS: server confirms → requires_action → handleNextAction → challenge → succeeded.
await page.evaluate(async () => { await elements.update({ currency: 'usd' }); });
await fill('4000002500003155');
r = await page.evaluate(async () => { await elements.submit(); return stripe.createConfirmationToken({ elements, params: { return_url: 'https://shop.example/return' } }); });
pi = await sk('POST', '/v1/payment_intents', { amount: '3100', currency: 'usd', confirm: 'true', confirmation_token: r.confirmationToken.id, 'automatic_payment_methods[enabled]': 'true' });
check('3DS requires_action use_stripe_sdk', pi.body.status === 'requires_action' && pi.body.next_action.type === 'use_stripe_sdk', JSON.stringify(pi.body).slice(0, 300));
let pending = page.evaluate(async (cs) => stripe.handleNextAction({ clientSecret: cs }), pi.body.client_secret);
const challenge = page.frameLocator('iframe[title="3D Secure challenge"]');
await challenge.locator('#complete').click();
let res = await pending;
check('handleNextAction resolves succeeded', res.paymentIntent && res.paymentIntent.status === 'succeeded', JSON.stringify(res).slice(0, 300));
// 3DS failure.
r = await page.evaluate(async () => { await elements.submit(); return stripe.createConfirmationToken({ elements, params: { return_url: 'https://shop.example/return' } }); });
pi = await sk('POST', '/v1/payment_intents', { amount: '3100', currency: 'usd', confirm: 'true', confirmation_token: r.confirmationToken.id, 'automatic_payment_methods[enabled]': 'true' });
pending = page.evaluate(async (cs) => stripe.handleNextAction({ clientSecret: cs }), pi.body.client_secret);
await challenge.locator('#fail').click();
res = await pending;
check('handleNextAction failure error', res.error && res.error.code === 'payment_intent_authentication_failure', JSON.stringify(res).slice(0, 300));
err = await page.evaluate(async (cs) => {
  try {
    await stripe.handleNextAction({ clientSecret: cs });
    return 'no throw';
  } catch (e) {
    return e.name;
  }
}, pi.body.client_secret);
check('handleNextAction throws for a PaymentIntent without a next action', err === 'IntegrationError', err);
// Card Element group: createConfirmationToken refuses; createPaymentMethod works.
err = await page.evaluate(async () => {
  const g = stripe.elements({ mode: 'payment', amount: 2000, currency: 'usd' });
  const card = g.create('card'); card.mount('#card');
  window.cardEl = card; window.cardGroup = g;
  await new Promise(r => card.on('ready', r));
  try { await stripe.createConfirmationToken({ elements: g }); return 'no throw'; } catch (e) { return e.message; }
});
check('card element refused', /createConfirmationToken only supports the Payment Element/.test(err), err);
const cframe = page.frameLocator('#card iframe');
await cframe.locator('input[name="number"]').fill('4242424242424242');
await cframe.locator('input[name="expiry"]').fill('12 / 34');
await cframe.locator('input[name="cvc"]').fill('123');
const cpostal = cframe.locator('input[name="postalCode"]');
if (await cpostal.isVisible()) await cpostal.fill('94103');
res = await page.evaluate(async () => stripe.createPaymentMethod({ type: 'card', card: window.cardEl }));
check('createPaymentMethod with card element', res.paymentMethod && res.paymentMethod.id.startsWith('pm_'), JSON.stringify(res));
pi = await sk('POST', '/v1/payment_intents', { amount: '2000', currency: 'usd', confirm: 'true', payment_method: res.paymentMethod.id, 'payment_method_types[0]': 'card' });
check('server confirm with payment_method', pi.body.status === 'succeeded', JSON.stringify(pi.body).slice(0, 200));
// No mode group.
err = await page.evaluate(async () => { const g = stripe.elements({}); try { await stripe.createConfirmationToken({ elements: g }); return 'no throw'; } catch (e) { return e.name; } });
check('no mode refused', err === 'IntegrationError', err);
// The hosted Checkout page: a decline shown on the page, then 3-D Secure, then the success URL.
const made = await sk('POST', '/v1/checkout/sessions', {
  mode: 'payment',
  'line_items[0][price_data][currency]': 'usd',
  'line_items[0][price_data][unit_amount]': '1250',
  'line_items[0][price_data][product_data][name]': 'T-shirt',
  'line_items[0][quantity]': '2',
  customer_email: 'jenny@example.com',
  success_url: `${shop}done?session_id={CHECKOUT_SESSION_ID}`,
  cancel_url: `${shop}cart`,
});
const session = made.body;
const blocked = [];
page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
await page.goto(session.url);
check('hosted page shows the total', (await page.locator('#total').textContent()) === '$25.00');
const payWith = async (number) => {
  await page.fill('input[name=number]', number);
  await page.fill('input[name=expiry]', '12 / 34');
  await page.fill('input[name=cvc]', '123');
  await page.click('button[type=submit]');
  await page.waitForLoadState();
};
await payWith('4000000000000002');
check('hosted page shows a decline', (await page.locator('#error').textContent()) === 'Your card was declined.');
await payWith('4000002500003155');
await page.click('button[value=complete]');
await page.waitForURL(/\/done\?session_id=/);
check('hosted page ends on the success URL', page.url() === `${shop}done?session_id=${session.id}`, page.url());
const after = await sk('GET', `/v1/checkout/sessions/${session.id}`);
check('the Session is complete and paid', after.body.status === 'complete' && after.body.payment_status === 'paid', JSON.stringify(after.body.status));
check('nothing was blocked by the page CSP', blocked.length === 0, blocked.join(' | '));

await browser.close();
server.close();
process.exit(bad ? 1 : 0);
