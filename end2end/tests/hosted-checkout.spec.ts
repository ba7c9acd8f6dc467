import { type Page } from '@playwright/test';
import { expect, test } from './support/test';
import { hostedQuery } from './support/db';
import { HOSTED_PORT } from './support/env';
import { hydrated, usd, usTotal } from './support/shop';
import { continueToPayment } from './support/checkout';

// Stripe's hosted Checkout (STRIPE_UI=checkout): Pay sends the shopper to a Checkout Session made
// for the order as the page shows it (the simulator's hosted page, with the same test cards), and
// back to the live order page; canceling comes back to the cart with the items still held; an
// expired session gives them back.

const HOSTED = `http://127.0.0.1:${HOSTED_PORT}`;

function product(slug: string): { price_minor: number; stock: number } {
  const [[price_minor, stock]] = hostedQuery<[number, number]>('SELECT price_minor, stock FROM products WHERE slug = ?', slug);
  return { price_minor, stock };
}

/** A product in the cart, the checkout with an email: the Pay button ready. Returns the order id. */
async function toPay(page: Page, slug: string, quantity = 1): Promise<string> {
  await page.goto(`${HOSTED}/products/${slug}`);
  await hydrated(page);
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
  await page.goto(`${HOSTED}/checkout`);
  await hydrated(page);
  await continueToPayment(page, 'hosted@example.com');
  await expect(page.getByRole('button', { name: /with Stripe Checkout$/ })).toBeEnabled();
  return (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
}

async function payOnHostedPage(page: Page, number: string) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Cardholder name').fill('Ada Lovelace');
  await page.getByLabel('ZIP / postal code').fill('10001');
  await page.getByRole('button', { name: /^Pay / }).click();
}

test('pay on the hosted page: declined, then 4242, and the order page turns Paid live', async ({ page }) => {
  const mug = product('stoneware-mug');
  const orderId = await toPay(page, 'stoneware-mug', 2);
  await expect(page.getByRole('button', { name: /with Stripe Checkout$/ })).toHaveText(`Pay ${usd(usTotal(2 * mug.price_minor))} with Stripe Checkout`);
  await page.getByRole('button', { name: /with Stripe Checkout$/ }).click();
  await expect(page).toHaveURL(/\/stripe-sim\/c\/pay\/cs_test_/);
  await expect(page.getByText(usd(usTotal(2 * mug.price_minor))).first()).toBeVisible();
  await payOnHostedPage(page, '4000000000000002');
  await expect(page.getByText('Your card was declined.')).toBeVisible();
  await payOnHostedPage(page, '4242424242424242');
  await expect(page).toHaveURL(new RegExp(`${HOSTED}/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  expect(hostedQuery('SELECT status, total_minor FROM orders WHERE id = ?', orderId)).toEqual([['paid', usTotal(2 * mug.price_minor)]]);
  expect(hostedQuery("SELECT count(*) FROM webhook_events WHERE order_id = ? AND type = 'checkout.session.completed'", orderId)).toEqual([[1]]);
});

test('cancel on the hosted page: back to the cart, the items still held; the session expires and they are back', async ({ page }) => {
  const trivet = product('felt-trivet');
  const orderId = await toPay(page, 'felt-trivet', 2);
  await page.getByRole('button', { name: /with Stripe Checkout$/ }).click();
  await expect(page).toHaveURL(/\/stripe-sim\/c\/pay\/cs_test_/);
  await page.getByRole('link', { name: '← Back' }).click();
  await expect(page).toHaveURL(`${HOSTED}/cart`);
  await hydrated(page);
  await expect(page.getByText('Wool Felt Trivet').first()).toBeVisible();
  expect(hostedQuery('SELECT status, stock_hold FROM orders WHERE id = ?', orderId)).toEqual([['pending', 'held']]);
  expect(product('felt-trivet').stock).toBe(trivet.stock - 2);

  // The session runs out (Stripe expires it; here through its API, as the dashboard can).
  const [[session]] = hostedQuery<[string]>('SELECT checkout_session_id FROM orders WHERE id = ?', orderId);
  const [[keys]] = hostedQuery<[string]>("SELECT value FROM stripe_sim_meta WHERE key = 'keys'");
  const expired = await page.request.post(`${HOSTED}/stripe-sim/v1/checkout/sessions/${session}/expire`, {
    headers: { Authorization: `Bearer ${keys.split(' ')[0]}` },
  });
  expect(expired.ok(), await expired.text()).toBeTruthy();
  await expect.poll(() => hostedQuery('SELECT status FROM orders WHERE id = ?', orderId)[0][0]).toBe('canceled');
  expect(product('felt-trivet').stock).toBe(trivet.stock);
});
