import { expect, test } from './support/test';
import { query } from './support/db';
import { CARD_PORT } from './support/env';
import { dbProduct, hydrated, usd, usTotal } from './support/shop';
import { continueToPayment, pay, toPayment } from './support/checkout';
import { fillCard } from './support/sim';

// The whole checkout in a real browser: cart → checkout → Stripe Element in deferred mode (the
// simulator's Stripe.js stand-in, same selectors as real Stripe) → Pay makes a ConfirmationToken,
// the server creates and confirms the PaymentIntent → order page turning Paid live.

test('4242 pays and the order page turns Paid by itself', async ({ page }) => {
  const mug = dbProduct('stoneware-mug');
  const orderId = await toPayment(page, 'stoneware-mug', 2);
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-total')).toHaveText(usd(usTotal(2 * mug.price_minor)));
  await expect(page.getByTestId('cart-count')).toContainText('0'); // the paid cart is emptied
  expect(query('SELECT status, total_minor FROM orders WHERE id = ?', orderId)).toEqual([['paid', usTotal(2 * mug.price_minor)]]);
  expect(dbProduct('stoneware-mug').stock).toBe(mug.stock - 2);
});

test('a declined card, then 4242 on the same order: two attempts, paid once', async ({ page }) => {
  const orderId = await toPayment(page, 'tea-tin');
  await fillCard(page, '4000000000000002');
  await pay(page);
  await expect(page.getByRole('alert')).toHaveText('Your card was declined.');
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  expect(query('SELECT outcome FROM payment_attempts WHERE order_id = ? ORDER BY attempt', orderId)).toEqual([['declined'], ['succeeded']]);
  const paid = query("SELECT count(*) FROM webhook_events WHERE order_id = ? AND type = 'payment_intent.succeeded'", orderId);
  expect(paid).toEqual([[1]]);
  const failed = query("SELECT count(*) FROM order_events WHERE order_id = ? AND detail LIKE 'Payment failed%'", orderId);
  expect(failed).toEqual([[1]]);
});

test('insufficient funds is explained', async ({ page }) => {
  await toPayment(page, 'linen-apron');
  await fillCard(page, '4000000000009995');
  await pay(page);
  await expect(page.getByRole('alert')).toHaveText('Your card has insufficient funds.');
});

/** The order's PaymentIntent and its client secret, from the embedded simulator's records. */
function paymentIntentOf(orderId: string): { id: string; clientSecret: string } {
  const [[id]] = query<[string]>('SELECT payment_intent_id FROM orders WHERE id = ?', orderId);
  const [[body]] = query<[string]>("SELECT body FROM stripe_sim_objects WHERE kind = 'payment_intent' AND id = ?", id);
  const clientSecret = JSON.parse(body).client_secret as string;
  expect(clientSecret).toMatch(new RegExp(`^${id}_secret_`));
  return { id, clientSecret };
}

/** The order page as Stripe's redirect back opens it (return_url plus Stripe's parameters). */
function returnUrl(orderId: string, pi: { id: string; clientSecret: string }, before = '', after = ''): string {
  const stripe = `payment_intent=${pi.id}&payment_intent_client_secret=${pi.clientSecret}&redirect_status=succeeded`;
  return `/orders/${orderId}?${before}${stripe}${after}`;
}

test('3-D Secure: Complete pays, and the client secret never stays in the address bar', async ({ page }) => {
  const orderId = await toPayment(page, 'cast-iron-skillet');
  await fillCard(page, '4000002500003155');
  await pay(page);
  await page.frameLocator('iframe[title="3D Secure challenge"]').getByRole('button', { name: 'Complete authentication' }).click();
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  const pi = paymentIntentOf(orderId);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  expect(page.url()).not.toContain('secret');

  // The stand-in authenticates in a modal and does not redirect; Stripe may redirect back with
  // its parameters instead. The order page reads them, then takes them out of the address bar.
  await page.goto(`${returnUrl(orderId, pi)}#receipt`);
  await hydrated(page);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}#receipt$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  // Nor is it left in the tab's history.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}#receipt$`));
  expect(page.url()).not.toContain(pi.clientSecret);
});

test("back from a Stripe redirect before the payment settles: the page says so, and only Stripe's parameters go", async ({ page }) => {
  const orderId = await toPayment(page, 'tea-tin');
  // Pay with a card that asks for 3-D Secure, and come back as a redirect would, unanswered.
  await fillCard(page, '4000002500003155');
  await pay(page);
  await expect(page.frameLocator('iframe[title="3D Secure challenge"]').getByRole('button', { name: 'Complete authentication' })).toBeVisible();
  const pi = paymentIntentOf(orderId);
  await page.goto(returnUrl(orderId, pi, 'ref=mail&', '&lang=en'));
  await hydrated(page);
  await expect(page.getByText('Confirming your payment…')).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}\\?ref=mail&lang=en$`));
});

test('3-D Secure: Fail shows the failure and another try pays', async ({ page }) => {
  await toPayment(page, 'walnut-board');
  await fillCard(page, '4000002500003155');
  await pay(page);
  await page.frameLocator('iframe[title="3D Secure challenge"]').getByRole('button', { name: 'Fail authentication' }).click();
  await expect(page.getByRole('alert')).toContainText('We are unable to authenticate your payment method.');
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
});

test('a payment that is processing shows so, then turns Paid by itself', async ({ page }) => {
  const orderId = await toPayment(page, 'felt-trivet');
  await fillCard(page, '4000009900000004'); // simulator-only: processing, then succeeded
  await pay(page);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Payment processing');
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
});

test('double-clicking Pay pays once', async ({ page }) => {
  const confirms: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/checkout\/pay$|\/payment_intents\/[^/]+\/confirm$/.test(r.url())) confirms.push(r.url());
  });
  const orderId = await toPayment(page, 'ceramic-pour-over');
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: /^Pay / }).dblclick();
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  expect(confirms).toHaveLength(1);
  expect(query("SELECT count(*) FROM webhook_events WHERE order_id = ? AND type = 'payment_intent.succeeded'", orderId)).toEqual([[1]]);
  expect(query('SELECT count(*) FROM payment_attempts WHERE order_id = ?', orderId)).toEqual([[1]]);
});

test('closing the page right after Pay, then opening the order link, shows Paid', async ({ page, context }) => {
  const orderId = await toPayment(page, 'chefs-knife');
  await fillCard(page, '4242424242424242');
  const confirmed = page.waitForResponse((r) => r.url().includes('/api/checkout/pay'));
  await pay(page);
  await confirmed;
  await page.close();
  const later = await context.newPage();
  await later.goto(`/orders/${orderId}`);
  await expect(later.getByTestId('order-status')).toHaveText('Paid');
});

test.describe('with the Card Element (STRIPE_ELEMENT=card)', () => {
  test.use({ baseURL: `http://127.0.0.1:${CARD_PORT}` });

  test('4242 pays through createPaymentMethod and a confirmation on the server', async ({ page }) => {
    await page.goto('/products/tea-tin');
    await hydrated(page);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page.getByRole('status')).toContainText('Added');
    await page.goto('/checkout');
    await hydrated(page);
    await continueToPayment(page, 'card@example.com');
    await expect(page.locator('iframe[title="Secure card payment input frame"]')).toBeVisible();
    await fillCard(page, '4242424242424242');
    await pay(page);
    await expect(page.getByTestId('order-status')).toHaveText('Paid');
  });
});

test("tab A's Pay held while tab B changes the cart: A is told the order changed, then charged what it shows", async ({ page, context }) => {
  const mug = dbProduct('stoneware-mug');
  const orderId = await toPayment(page, 'stoneware-mug', 1);
  await expect(page.getByRole('button', { name: /^Pay / })).toHaveText(`Pay ${usd(usTotal(mug.price_minor))}`);
  await fillCard(page, '4242424242424242');
  // Tab A's Pay request is held on its way to the server...
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const arrived = new Promise<void>((resolve) => (held = resolve));
  await page.route('**/api/checkout/pay', async (route) => {
    held();
    await released;
    await route.continue();
  });
  await pay(page);
  await arrived;
  // ...while tab B (the same cart) adds a second mug.
  const tabB = await context.newPage();
  await tabB.goto('/products/stoneware-mug');
  await hydrated(tabB);
  await tabB.getByRole('button', { name: 'Add to cart' }).click();
  await expect(tabB.getByRole('status')).toContainText('Added');
  release();
  // Nothing was charged for the total tab A showed; tab A now shows the new one.
  await expect(page.getByRole('alert')).toContainText('Your order changed');
  await expect(page.getByRole('alert')).toContainText(usd(usTotal(2 * mug.price_minor)));
  await expect(page.getByRole('button', { name: /^Pay / })).toHaveText(`Pay ${usd(usTotal(2 * mug.price_minor))}`);
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(usTotal(2 * mug.price_minor)));
  expect(query('SELECT count(*) FROM payment_attempts WHERE order_id = ?', orderId)).toEqual([[0]]);
  await page.unroute('**/api/checkout/pay');
  // Pay again: charged exactly what the page shows now.
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  const pi = paymentIntentOf(orderId);
  const [[body]] = query<[string]>("SELECT body FROM stripe_sim_objects WHERE kind = 'payment_intent' AND id = ?", pi.id);
  expect(JSON.parse(body).amount).toBe(usTotal(2 * mug.price_minor));
  expect(query('SELECT total_minor FROM orders WHERE id = ?', orderId)).toEqual([[usTotal(2 * mug.price_minor)]]);
});
