import { readFileSync } from 'node:fs';
import { expect, test } from './support/test';
import { pay, toPayment } from './support/checkout';
import { ADMIN_PASSWORD } from './support/env';
import { dbProduct, usd } from './support/shop';
import { fillCard } from './support/sim';

// The merchant, in their own browser, follows and refunds an order a shopper just paid.

test('sign in, find the order just paid, follow its timeline, refund half then the rest', async ({ browser }) => {
  const shopperContext = await browser.newContext();
  const shopper = await shopperContext.newPage();
  const skillet = dbProduct('cast-iron-skillet');
  const orderId = await toPayment(shopper, 'cast-iron-skillet', 2);
  await fillCard(shopper, '4242424242424242');
  await pay(shopper);
  await expect(shopper.getByTestId('order-status')).toHaveText('Paid');

  const merchantContext = await browser.newContext();
  const admin = await merchantContext.newPage();
  await admin.goto('/admin');
  await admin.getByLabel('Password').fill('not the password');
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await expect(admin.getByRole('alert')).toHaveText('That password is not right.');
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await expect(admin.getByRole('heading', { name: 'Orders' })).toBeVisible();

  const row = admin.locator(`tr[data-order="${orderId}"]`);
  await expect(row).toContainText('Paid');
  await expect(row).toContainText(usd(2 * skillet.price_minor));
  await row.getByRole('link', { name: orderId }).click();
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Paid');
  await expect(admin.getByTestId('timeline')).toContainText(`Payment succeeded: ${usd(2 * skillet.price_minor)}`);

  const half = skillet.price_minor; // of two skillets
  const major = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
  await admin.getByLabel(/^Amount/).fill(major(half));
  await admin.getByRole('button', { name: 'Review refund' }).click();
  await expect(admin.getByText(`Refund ${major(half)} to the customer's card?`)).toBeVisible();
  await admin.getByRole('button', { name: 'Confirm refund' }).dblclick();
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Partially refunded');
  await expect(admin.getByTestId('refundable')).toHaveText(usd(half));

  await admin.getByRole('button', { name: 'Review refund' }).click();
  await admin.getByRole('button', { name: 'Confirm refund' }).click();
  await expect(admin.getByTestId('admin-order-status')).toHaveText('Refunded');
  await expect(admin.getByTestId('timeline')).toContainText('Refund of');

  // The shopper's page follows too.
  await expect(shopper.getByTestId('order-status')).toHaveText('Refunded');

  // The export has the order, refunded, with its total.
  await admin.goto(`/admin?q=${orderId}`);
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('link', { name: 'Export CSV' }).click()]);
  const rows = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(rows[0]).toBe('id,placed_utc,email,status,currency,total,payment_intent,items,discount,discount_code,shipping,shipping_rate,tax,tax_mode,ship_to');
  expect(rows).toHaveLength(2);
  expect(rows[1]).toMatch(new RegExp(`^${orderId},.*,shopper@example.com,refunded,USD,${major(2 * skillet.price_minor)},pi_`));

  // The month's figures.
  await admin.getByRole('link', { name: 'Analytics' }).click();
  await expect(admin.getByTestId('revenue-chart')).toBeVisible();
  await expect(admin.getByTestId('top-products')).toContainText('Cast Iron Skillet');

  // Signed out, the admin shows the sign-in form again.
  await admin.goto('/admin');
  await admin.getByRole('button', { name: 'Sign out' }).click();
  await expect(admin.getByLabel('Password')).toBeVisible();
});
