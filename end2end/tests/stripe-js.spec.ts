import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Page, type Request } from '@playwright/test';
import { expect, test } from './support/test';
import { createPaymentIntent, demoUrl, elementFrame, fillCard, SIM_BASE, SIM_PK } from './support/sim';

// The simulator's Stripe.js stand-in on its own demo page (B/_sim/demo.html), against the standalone
// simulator. Selectors are the ones that also work on real Stripe Elements.

const DECLINED = 'Your card was declined.';
const AUTH_FAILED =
  'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

/** Records the API calls (payment methods and confirmations) made by the page and its frames. */
function apiCalls(page: Page): () => string[] {
  const calls: string[] = [];
  page.on('request', (req: Request) => {
    const url = new URL(req.url());
    if (req.method() === 'POST' && /\/v1\/(payment_methods|payment_intents\/[^/]+\/confirm)$/.test(url.pathname)) {
      calls.push(url.pathname);
    }
  });
  return () => calls;
}

async function pay(page: Page) {
  await page.getByRole('button', { name: 'Pay' }).click();
}

test('a 4242 card succeeds with the Payment Element', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  await page.goto(demoUrl({ client_secret: pi.client_secret }));
  const frame = elementFrame(page);
  await expect(frame.locator('[data-testid="card"]')).toBeVisible();
  await expect(frame.getByLabel('Card number')).toHaveAttribute('placeholder', '1234 1234 1234 1234');
  await fillCard(page, '4242424242424242');
  await expect(frame.locator('input[name="number"]')).toHaveValue('4242 4242 4242 4242');
  await pay(page);
  await expect(page.locator('#result')).toHaveText('succeeded');
  await expect(page.locator('#error')).toHaveText('');
  await expect(page.getByRole('button', { name: 'Pay' })).toBeEnabled();
});

test('a declined card shows the decline message', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  await page.goto(demoUrl({ client_secret: pi.client_secret }));
  await fillCard(page, '4000000000000002');
  await pay(page);
  await expect(page.locator('#error')).toHaveText(DECLINED);
  await expect(page.locator('#result')).toHaveText('');
  await expect(page.getByRole('button', { name: 'Pay' })).toBeEnabled();
});

test('3-D Secure: completing the challenge succeeds', async ({ page, request }) => {
  const pi = await createPaymentIntent(request, 4599);
  await page.goto(demoUrl({ client_secret: pi.client_secret }));
  await fillCard(page, '4000002500003155');
  await pay(page);
  const challenge = page.frameLocator('iframe[title="3D Secure challenge"]');
  await expect(challenge.getByText('Test 3D Secure authentication')).toBeVisible();
  await expect(challenge.getByText('$45.99')).toBeVisible();
  await challenge.getByRole('button', { name: 'Complete authentication' }).click();
  await expect(page.locator('#result')).toHaveText('succeeded');
  await expect(page.locator('iframe[title="3D Secure challenge"]')).toHaveCount(0);
});

test('3-D Secure: failing the challenge returns the authentication error', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  await page.goto(demoUrl({ client_secret: pi.client_secret }));
  await fillCard(page, '4000002500003155');
  await pay(page);
  const challenge = page.frameLocator('iframe[title="3D Secure challenge"]');
  await challenge.getByRole('button', { name: 'Fail authentication' }).click();
  await expect(page.locator('#error')).toHaveText(AUTH_FAILED);
  await expect(page.locator('#result')).toHaveText('');
  await expect(page.locator('iframe[title="3D Secure challenge"]')).toHaveCount(0);
});

test('client-side validation happens inside the element and sends nothing', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  const calls = apiCalls(page);
  await page.goto(demoUrl({ client_secret: pi.client_secret }));
  const frame = elementFrame(page);

  await fillCard(page, '4242 4242');
  await pay(page);
  await expect(frame.getByText('Your card number is incomplete.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Pay' })).toBeEnabled();

  // Luhn failure is reported as soon as the number is complete.
  await frame.locator('input[name="number"]').fill('4242424242424241');
  await expect(frame.getByText('Your card number is invalid.')).toBeVisible();

  // A past expiry year, shown when the field is left.
  await frame.locator('input[name="number"]').fill('4242424242424242');
  await frame.locator('input[name="expiry"]').fill('12 / 19');
  await frame.locator('input[name="cvc"]').focus();
  await expect(frame.getByText("Your card's expiration year is in the past.")).toBeVisible();
  await pay(page);
  await expect(page.locator('#error')).toHaveText("Your card's expiration year is in the past.");

  expect(calls(), 'no payment method or confirmation request for invalid input').toEqual([]);
});

test('the Card Element with 4242 succeeds through confirmCardPayment', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  await page.goto(demoUrl({ client_secret: pi.client_secret, kind: 'card' }));
  const frame = elementFrame(page);
  await expect(frame.locator('[data-testid="card"]')).toHaveCount(0);
  await expect(frame.getByLabel('ZIP')).toBeVisible();
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.locator('#result')).toHaveText('succeeded');
});

test('a wrong client secret fires loaderror and the element says so', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  const wrong = `${pi.id}_secret_notTheRightSecret0000`;
  await page.goto(demoUrl({ client_secret: wrong }));
  const message = 'The client_secret provided does not match any associated PaymentIntent on this account.';
  await expect(page.locator('#error')).toHaveText(message);
  await expect(elementFrame(page).getByRole('alert')).toHaveText(message);
});

test('redirect=always navigates to return_url with the redirect parameters', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  const start = demoUrl({ client_secret: pi.client_secret, redirect: 'always' });
  await page.goto(start);
  await fillCard(page, '4242424242424242');
  await pay(page);
  await page.waitForURL(/redirect_status=succeeded/);
  const url = new URL(page.url());
  expect(url.pathname).toBe(new URL(start).pathname);
  expect(url.searchParams.get('payment_intent')).toBe(pi.id);
  expect(url.searchParams.get('payment_intent_client_secret')).toBe(pi.client_secret);
  // The return_url's own query parameters are kept.
  expect(url.searchParams.get('pk')).toBe(SIM_PK);
  expect(url.searchParams.get('redirect')).toBe('always');
  await expect(page.locator('#result')).toHaveText('succeeded');
});

test('a merchant page on another origin works through postMessage and CORS', async ({ page, request }) => {
  const pi = await createPaymentIntent(request);
  const html = `<!doctype html><html><head><title>Merchant</title></head><body>
    <form id="f"><div id="payment-element"></div><button id="pay">Pay</button></form>
    <p id="result"></p><p id="error" role="alert"></p>
    <script src="${SIM_BASE}/v3/"></script>
    <script>
      window.__events = [];
      const stripe = Stripe(${JSON.stringify(SIM_PK)});
      const elements = stripe.elements({clientSecret: ${JSON.stringify(pi.client_secret)}});
      const el = elements.create('payment');
      for (const name of ['ready', 'change', 'focus', 'blur']) el.on(name, (ev) => window.__events.push([name, ev]));
      el.mount('#payment-element');
      document.getElementById('f').addEventListener('submit', async (e) => {
        e.preventDefault();
        const r = await stripe.confirmPayment({elements, redirect: 'if_required',
          confirmParams: {return_url: location.href}});
        if (r.error) document.getElementById('error').textContent = r.error.message;
        else document.getElementById('result').textContent = r.paymentIntent.status;
      });
    </script></body></html>`;
  await withMerchantPage(html, async (url) => {
    await page.goto(url);
    await fillCard(page, '4242424242424242');
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(page.locator('#result')).toHaveText('succeeded');

    const events = (await page.evaluate(() => (window as any).__events)) as [string, any][];
    expect(events.find(([n]) => n === 'ready')?.[1]).toEqual({ elementType: 'payment' });
    const changes = events.filter(([n]) => n === 'change').map(([, ev]) => ev);
    expect(changes.length).toBeGreaterThan(0);
    for (const ev of changes) {
      expect(ev.elementType).toBe('payment');
      expect(ev).not.toHaveProperty('error');
      expect(ev.value).toEqual({ type: 'card' });
    }
    expect(changes[changes.length - 1]).toMatchObject({ empty: false, complete: true, collapsed: false });
    expect(events.some(([n]) => n === 'focus')).toBe(true);
  });
});

test('deferred intent: confirmPayment needs elements.submit() first', async ({ page, request }) => {
  const pi = await createPaymentIntent(request, 2000);
  const html = `<!doctype html><html><head><title>Merchant</title></head><body>
    <form id="f"><div id="payment-element"></div><button id="pay">Pay</button></form>
    <p id="result"></p><p id="error" role="alert"></p>
    <script src="${SIM_BASE}/v3/"></script>
    <script>
      const stripe = Stripe(${JSON.stringify(SIM_PK)});
      const elements = stripe.elements({mode: 'payment', amount: 2000, currency: 'usd'});
      elements.create('payment').mount('#payment-element');
      const clientSecret = ${JSON.stringify(pi.client_secret)};
      window.confirmWithoutSubmit = () => stripe.confirmPayment({elements, clientSecret, redirect: 'if_required',
          confirmParams: {return_url: location.href}}).then(() => 'resolved', (e) => e.name + ': ' + e.message);
      window.submitOnly = () => elements.submit();
      document.getElementById('f').addEventListener('submit', async (e) => {
        e.preventDefault();
        const {error: submitError} = await elements.submit();
        if (submitError) { document.getElementById('error').textContent = submitError.message; return; }
        const r = await stripe.confirmPayment({elements, clientSecret, redirect: 'if_required',
          confirmParams: {return_url: location.href}});
        if (r.error) document.getElementById('error').textContent = r.error.message;
        else document.getElementById('result').textContent = r.paymentIntent.status;
      });
    </script></body></html>`;
  await withMerchantPage(html, async (url) => {
    await page.goto(url);
    const submitted = await page.evaluate(() => (window as any).submitOnly());
    expect(submitted.error).toMatchObject({ type: 'validation_error', code: 'incomplete_number' });
    await expect(elementFrame(page).getByText('Your card number is incomplete.')).toBeVisible();

    await fillCard(page, '4242424242424242');
    expect(await page.evaluate(() => (window as any).confirmWithoutSubmit())).toBe(
      'IntegrationError: elements.submit() must be called before stripe.confirmPayment().',
    );
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(page.locator('#result')).toHaveText('succeeded');
  });
});

/** Serves `html` from a loopback server on another port, so the page has its own origin (a page
 *  fulfilled by page.route would count as a public address space and be refused the loopback sim). */
async function withMerchantPage(html: string, body: (url: string) => Promise<void>) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await body(`http://127.0.0.1:${port}/checkout`);
  } finally {
    server.close();
  }
}
