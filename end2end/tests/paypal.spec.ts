import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './support/test';
import { healQuery, query } from './support/db';
import { ADMIN_PASSWORD, HEAL_PORT } from './support/env';
import { continueToPayment, toCheckout } from './support/checkout';
import { dbProduct, hydrated, usd, usTotal } from './support/shop';

// PayPal beside the card form, in the embedded default: the PayPal simulator's JS SDK stand-in
// renders the button, its approval window (a popup, as PayPal's) approves or cancels, the server
// captures, and the order page is the same live page as for cards.

const EMAIL = 'paypal-shopper@example.com';

/** Cart → checkout → payment step, with PayPal's button rendered. Returns the order id. */
async function toPayPal(page: Page, slug = 'stoneware-mug', quantity = 1): Promise<string> {
  await toCheckout(page, slug, quantity);
  await continueToPayment(page, EMAIL);
  await expect(page.getByTestId('paypal-button').locator('[data-funding-source="paypal"]')).toBeVisible();
  return (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
}

/** Clicks PayPal's button; returns PayPal's window. */
async function openPayPal(page: Page): Promise<Page> {
  const popup = page.waitForEvent('popup');
  await page.getByTestId('paypal-button').locator('[data-funding-source="paypal"]').click();
  const window = await popup;
  await expect(window.getByRole('button', { name: 'Pay now' })).toBeVisible();
  return window;
}

async function approveWith(window: Page, funding: 'PayPal balance' | 'Card that will be declined' | 'eCheck (pays later)') {
  await window.getByLabel(funding).check();
  await window.getByRole('button', { name: 'Pay now' }).click();
}

test('pay with PayPal: approve in its window, the order turns Paid live', async ({ page }) => {
  const mug = dbProduct('stoneware-mug');
  const orderId = await toPayPal(page, 'stoneware-mug', 2);
  const window = await openPayPal(page);
  const total = usTotal(2 * mug.price_minor);
  await expect(window.getByText(`${Math.floor(total / 100)}.${String(total % 100).padStart(2, '0')} USD`)).toBeVisible();
  await approveWith(window, 'PayPal balance');
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-total')).toHaveText(usd(usTotal(2 * mug.price_minor)));
  expect(query('SELECT status, gateway FROM orders WHERE id = ?', orderId)).toEqual([['paid', 'paypal']]);
  // The card form never pressed Pay, so no card payment was ever made for the order.
  expect(query("SELECT count(*) FROM order_events WHERE order_id = ? AND detail = 'Paying with PayPal'", orderId)).toEqual([[1]]);
  expect(query('SELECT count(*) FROM payment_attempts WHERE order_id = ?', orderId)).toEqual([[0]]);
});

test('cancel in PayPal\'s window: back at checkout with a message, nothing charged', async ({ page }) => {
  const orderId = await toPayPal(page);
  const window = await openPayPal(page);
  await window.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('alert')).toContainText('You left PayPal before paying, so nothing was charged.');
  await expect(page).toHaveURL(/\/checkout$/);
  expect(query('SELECT status FROM orders WHERE id = ?', orderId)).toEqual([['pending']]);
});

test('a declined funding source: choose again in PayPal\'s window, paid once', async ({ page }) => {
  const orderId = await toPayPal(page);
  const window = await openPayPal(page);
  await approveWith(window, 'Card that will be declined');
  // actions.restart(): PayPal's window opens again for the same order.
  const again = await page.waitForEvent('popup');
  await expect(page.getByRole('alert')).toContainText('PayPal declined that payment method');
  await expect(again.getByRole('button', { name: 'Pay now' })).toBeVisible();
  await approveWith(again, 'PayPal balance');
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  const paypalOrder = query('SELECT gateway_ref FROM orders WHERE id = ?', orderId)[0][0];
  expect(query("SELECT count(*) FROM webhook_events WHERE order_id = ? AND type = 'PAYMENT.CAPTURE.COMPLETED'", orderId)).toEqual([[1]]);
  expect(paypalOrder).toMatch(/^[A-Z0-9]{17}$/);
});

async function paypalToken(request: APIRequestContext, base: string): Promise<string> {
  const [[credentials]] = healQuery<[string]>("SELECT value FROM paypal_sim_meta WHERE key = 'credentials'");
  const [id, secret] = credentials.split(' ');
  const answer = await request.post(`${base}/paypal-sim/v1/oauth2/token`, {
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    form: { grant_type: 'client_credentials' },
  });
  return (await answer.json()).access_token;
}

test('an eCheck: Processing, then Paid when PayPal\'s webhook says the capture completed', async ({ page, request }) => {
  const base = `http://127.0.0.1:${HEAL_PORT}`;
  await page.goto(`${base}/`);
  const slug = 'stoneware-mug';
  await page.goto(`${base}/products/${slug}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
  await page.goto(`${base}/checkout`);
  await hydrated(page);
  await continueToPayment(page, EMAIL);
  const orderId = (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
  const window = await openPayPal(page);
  await approveWith(window, 'eCheck (pays later)');
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Payment processing');

  const [[capture]] = healQuery<[string]>('SELECT gateway_payment_ref FROM orders WHERE id = ?', orderId);
  const token = await paypalToken(request, base);
  const settled = await request.post(`${base}/paypal-sim/_sim/captures/${capture}/complete`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(settled.status()).toBe(200);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
});

test('the merchant refunds a PayPal order in part, then in full', async ({ browser }) => {
  const shopper = await (await browser.newContext()).newPage();
  const tin = dbProduct('tea-tin');
  const orderId = await toPayPal(shopper, 'tea-tin', 2);
  await approveWith(await openPayPal(shopper), 'PayPal balance');
  await expect(shopper.getByTestId('order-status')).toHaveText('Paid');

  const admin = await (await browser.newContext()).newPage();
  await admin.goto('/admin');
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await expect(admin.getByRole('heading', { name: 'Orders' })).toBeVisible();
  await admin.goto(`/admin/orders/${orderId}`);
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Paid');
  await expect(admin.getByTestId('gateway')).toHaveText('PayPal');
  const major = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
  await admin.getByLabel(/^Amount/).fill(major(tin.price_minor));
  await admin.getByRole('button', { name: 'Review refund' }).click();
  await admin.getByRole('button', { name: 'Confirm refund' }).click();
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Partially refunded');
  await admin.getByRole('button', { name: 'Review refund' }).click();
  await admin.getByRole('button', { name: 'Confirm refund' }).click();
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Refunded');
  await expect(shopper.getByTestId('order-status')).toHaveText('Refunded');
  expect(query("SELECT count(*) FROM refund_requests WHERE order_id = ? AND stripe_refund_id IS NOT NULL", orderId)).toEqual([[2]]);
});
