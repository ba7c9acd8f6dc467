// Stripe's official Node SDK (npm `stripe`) against the simulator.
//
// Run by scripts/sdk-tests.sh with SIM_BASE (http://127.0.0.1:PORT) and SIM_SK in the
// environment. Prints one `ok - name` / `not ok - name` line per check.

import Stripe from 'stripe';

const BASE = process.env.SIM_BASE;
const SK = process.env.SIM_SK;
const base = new URL(BASE);
const stripe = new Stripe(SK, {
  host: base.hostname,
  port: Number(base.port),
  protocol: base.protocol.replace(':', ''),
  maxNetworkRetries: 0,
  telemetry: false,
});
const RETURN_URL = 'https://shop.example/return';
const SUCCESS_URL = 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}';

let failures = 0;
const state = {};

function expect(condition, what) {
  if (!condition) throw new Error(`expected: ${what}`);
}

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - node: ${name}`);
  } catch (e) {
    failures += 1;
    console.log(`not ok - node: ${name}: ${e && e.message}`);
    for (const line of String(e && e.stack).split('\n').slice(1, 5)) console.log(`#   ${line.trim()}`);
  }
}

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

async function payOnHostedPage(url, number) {
  const body = new URLSearchParams({
    email: 'jenny@example.com',
    number,
    expiry: '12 / 34',
    cvc: '123',
    name: 'Jenny Rosen',
    country: 'US',
    postal_code: '94103',
  });
  const r = await fetch(url, { method: 'POST', body, redirect: 'manual' });
  return { status: r.status, location: r.headers.get('location') };
}

await check('test helper creates a ConfirmationToken', async () => {
  const token = await stripe.testHelpers.confirmationTokens.create({
    payment_method: 'pm_card_visa',
    return_url: RETURN_URL,
    shipping: { name: 'Jenny Rosen', address: { line1: '1 Main St', country: 'US' } },
  });
  expect(token.id.startsWith('ctoken_'), token.id);
  expect(token.object === 'confirmation_token', token.object);
  expect(token.expires_at === token.created + 43200, 'expires_at = created + 12 h');
  expect(token.lastResponse && token.lastResponse.requestId.startsWith('req_'), 'a request id');
  state.token = token;
});

await check('retrieve the ConfirmationToken', async () => {
  const token = await stripe.confirmationTokens.retrieve(state.token.id);
  expect(token.id === state.token.id, token.id);
  expect(token.payment_method_preview.card.last4 === '4242', 'last4');
  expect(token.payment_intent === null, 'unused');
});

await check('create and confirm a PaymentIntent with it (idempotent)', async () => {
  const params = {
    amount: 2000,
    currency: 'usd',
    confirm: true,
    confirmation_token: state.token.id,
    automatic_payment_methods: { enabled: true },
    metadata: { order_id: '42' },
  };
  const key = `confirm-${state.token.id}`;
  const pi = await stripe.paymentIntents.create(params, { idempotencyKey: key });
  expect(pi.status === 'succeeded', pi.status);
  expect(pi.shipping.name === 'Jenny Rosen', 'shipping from the token');
  const replay = await stripe.paymentIntents.create(params, { idempotencyKey: key });
  expect(replay.id === pi.id, 'the replay is the same PaymentIntent');
  const used = await stripe.confirmationTokens.retrieve(state.token.id);
  expect(used.payment_intent === pi.id && used.expires_at === null, 'the token is used');
  state.pi = pi;
});

await check('a used ConfirmationToken is refused', async () => {
  const e = await rejects(
    stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      confirmation_token: state.token.id,
      return_url: RETURN_URL,
    }),
  );
  expect(e.type === 'StripeInvalidRequestError', e.type);
  expect(e.code === 'confirmation_token_already_used', e.code);
  expect(e.statusCode === 400, e.statusCode);
});

await check('a 3-D Secure card comes back requires_action (use_stripe_sdk)', async () => {
  const token = await stripe.testHelpers.confirmationTokens.create({
    payment_method: 'pm_card_authenticationRequiredOnSetup',
    return_url: RETURN_URL,
  });
  const pi = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    confirm: true,
    confirmation_token: token.id,
  });
  expect(pi.status === 'requires_action', pi.status);
  expect(pi.next_action.type === 'use_stripe_sdk', pi.next_action.type);
});

await check('a decline, then a new token on /confirm', async () => {
  const token = await stripe.testHelpers.confirmationTokens.create({
    payment_method: 'pm_card_chargeDeclined',
    return_url: RETURN_URL,
  });
  const e = await rejects(
    stripe.paymentIntents.create({ amount: 2000, currency: 'usd', confirm: true, confirmation_token: token.id }),
  );
  expect(e.type === 'StripeCardError', e.type);
  expect(e.code === 'card_declined', e.code);
  const pi = e.raw.payment_intent;
  expect(pi && pi.status === 'requires_payment_method', 'the PaymentIntent in the error');
  const retry = await stripe.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_visa', return_url: RETURN_URL });
  const confirmed = await stripe.paymentIntents.confirm(pi.id, { confirmation_token: retry.id });
  expect(confirmed.status === 'succeeded', confirmed.status);
});

await check('create a Checkout Session', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'T-shirt' } }, quantity: 2 }],
    customer_email: 'jenny@example.com',
    client_reference_id: 'cart_42',
    metadata: { cart: '42' },
    payment_intent_data: { metadata: { order_id: '42' } },
    success_url: SUCCESS_URL,
    cancel_url: 'https://shop.example/cart',
  });
  expect(session.id.startsWith('cs_test_'), session.id);
  expect(session.status === 'open' && session.payment_status === 'unpaid', session.status);
  expect(session.amount_total === 2500, session.amount_total);
  expect(session.url === `${BASE}/c/pay/${session.id}`, session.url);
  state.session = session;
});

await check('retrieve a Checkout Session', async () => {
  const session = await stripe.checkout.sessions.retrieve(state.session.id, { expand: ['line_items'] });
  expect(session.id === state.session.id, session.id);
  expect(session.line_items.data[0].quantity === 2, 'line items');
  const items = await stripe.checkout.sessions.listLineItems(state.session.id);
  expect(items.data.length === 1 && items.data[0].amount_total === 2500, 'listLineItems');
});

await check('pay it on the hosted page', async () => {
  const { status, location } = await payOnHostedPage(state.session.url, '4242424242424242');
  expect(status === 303, status);
  expect(location === SUCCESS_URL.replace('{CHECKOUT_SESSION_ID}', state.session.id), location);
  const paid = await stripe.checkout.sessions.retrieve(state.session.id, { expand: ['payment_intent'] });
  expect(paid.status === 'complete' && paid.payment_status === 'paid', paid.payment_status);
  expect(paid.payment_intent.metadata.order_id === '42', 'payment_intent_data[metadata]');
  state.paidPi = paid.payment_intent.id;
});

await check('list Checkout Sessions', async () => {
  const listed = await stripe.checkout.sessions.list({ payment_intent: state.paidPi });
  expect(listed.data.length === 1 && listed.data[0].id === state.session.id, 'filtered by payment_intent');
  const seen = [];
  for await (const s of stripe.checkout.sessions.list({ limit: 1 })) seen.push(s.id);
  expect(seen.includes(state.session.id), 'auto-pagination');
});

await check('expire a Checkout Session', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'Mug' } }, quantity: 1 }],
    success_url: SUCCESS_URL,
  });
  const expired = await stripe.checkout.sessions.expire(session.id);
  expect(expired.status === 'expired' && expired.url === null, expired.status);
  const e = await rejects(stripe.checkout.sessions.expire(session.id));
  expect(e.type === 'StripeInvalidRequestError', e.type);
  const events = await stripe.events.list({ type: 'checkout.session.expired' });
  expect(events.data.some((ev) => ev.data.object.id === session.id), 'checkout.session.expired');
});

process.exit(failures ? 1 : 0);
