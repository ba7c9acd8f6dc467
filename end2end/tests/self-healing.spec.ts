import { type Page } from '@playwright/test';
import { expect, test } from './support/test';
import { healQuery } from './support/db';
import { HEAL_PORT } from './support/env';
import { hydrated } from './support/shop';
import { continueToPayment } from './support/checkout';
import { fillCard } from './support/sim';

// Orders that heal themselves, on a shop whose hold is 6 s and whose reconciler runs every
// second: a shopper whose webhooks never arrive still sees Paid; the last items are held for
// the shopper paying for them, and come back on sale when that checkout is abandoned.

const HEAL = `http://127.0.0.1:${HEAL_PORT}`;
test.describe.configure({ mode: 'serial' });

/** The embedded simulator's secret key, from the shop's database (tests only). */
function simKey(): string {
  const [[keys]] = healQuery<[string]>("SELECT value FROM stripe_sim_meta WHERE key = 'keys'");
  return keys.split(' ')[0];
}

async function setFaults(page: Page, faults: Record<string, string>) {
  const response = await page.request.post(`${HEAL}/stripe-sim/_sim/faults`, {
    headers: { Authorization: `Bearer ${simKey()}` },
    form: faults,
  });
  expect(response.ok()).toBeTruthy();
}

async function toPayment(page: Page, slug: string, quantity: number): Promise<string> {
  await page.goto(`${HEAL}/products/${slug}`);
  await hydrated(page);
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
  await page.goto(`${HEAL}/checkout`);
  await hydrated(page);
  await continueToPayment(page, 'shopper@example.com');
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
  return (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
}

test('a shopper whose webhooks never arrive still sees Paid by itself', async ({ page }) => {
  await page.goto(HEAL);
  await setFaults(page, { webhook_loss_rate: '1' });
  try {
    const orderId = await toPayment(page, 'stoneware-mug', 1);
    // Processing at first (simulator-only card): Stripe's answer to Pay cannot say Paid, only
    // the webhook that never comes, or the reconciler reading Stripe's events back.
    await fillCard(page, '4000009900000004');
    await page.getByRole('button', { name: /^Pay / }).click();
    await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
    await expect(page.getByTestId('order-status')).toHaveText('Paid', { timeout: 15_000 });
    // Paid by reconciliation: the correction is in the order's timeline.
    const [[healed]] = healQuery<[number]>("SELECT count(*) FROM order_events WHERE order_id = ? AND detail LIKE 'Webhook missing, reconciled%'", orderId);
    expect(healed).toBeGreaterThan(0);
  } finally {
    await setFaults(page, {});
  }
});

test('the last items stay with the shopper holding them, and come back when the checkout is abandoned', async ({ browser }) => {
  const holder = await (await browser.newContext()).newPage();
  const other = await (await browser.newContext()).newPage();
  const [[stock]] = healQuery<[number]>("SELECT stock FROM products WHERE slug = 'felt-trivet'");
  expect(stock).toBeGreaterThan(0);
  const orderId = await toPayment(holder, 'felt-trivet', stock);

  // Held: the other shopper sees none left and cannot add one.
  await other.goto(`${HEAL}/products/felt-trivet`);
  await hydrated(other);
  await expect(other.getByRole('button', { name: 'Sold out' })).toBeDisabled();

  // The holder walks away. After the 6-second hold the order is canceled and the trivets are
  // on sale again. Pay was never pressed, so no PaymentIntent was ever made.
  await expect
    .poll(() => healQuery('SELECT status FROM orders WHERE id = ?', orderId)[0][0], { timeout: 20_000 })
    .toBe('canceled');
  expect(healQuery("SELECT count(*) FROM order_events WHERE order_id = ? AND detail = 'Checkout expired before payment'", orderId)).toEqual([[1]]);
  expect(healQuery('SELECT payment_intent_id, (SELECT count(*) FROM payment_attempts WHERE order_id = ?) FROM orders WHERE id = ?', orderId, orderId)).toEqual([[null, 0]]);
  await other.reload();
  await hydrated(other);
  await expect(other.getByRole('button', { name: 'Add to cart' })).toBeEnabled();
  expect(healQuery("SELECT stock FROM products WHERE slug = 'felt-trivet'")).toEqual([[stock]]);
});
