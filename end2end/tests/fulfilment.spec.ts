import type { Page } from '@playwright/test';
import { expect, test } from './support/test';
import { pay, toPayment } from './support/checkout';
import { ADMIN_PASSWORD } from './support/env';
import { hydrated } from './support/shop';
import { fillCard } from './support/sim';

// Fulfilment: a paid order waits in the merchant's queue, the merchant marks it shipped with
// its tracking, the shopper's order page shows it live, and the shipping email is in the outbox.

async function signedInAt(page: Page, path: string) {
  await page.goto(path);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

function uniqueEmail(what: string): string {
  return `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

test('a paid order is in the queue, marked shipped with tracking, and the shopper sees it live', async ({ browser }) => {
  const email = uniqueEmail('ship');
  const tracking = `1Z${Date.now()}`;
  const trackingUrl = `https://tracking.example/${tracking}`;

  const shopper = await (await browser.newContext()).newPage();
  const orderId = await toPayment(shopper, 'tea-tin', 2, email);
  await fillCard(shopper, '4242424242424242');
  await pay(shopper);
  await expect(shopper.getByTestId('order-status')).toHaveText('Paid');
  await hydrated(shopper);
  await expect(shopper.getByTestId('order-status')).toHaveAttribute('data-live', 'true');
  await expect(shopper.getByTestId('shipments')).toHaveCount(0);

  // The merchant's queue has it, with what to pack.
  const admin = await (await browser.newContext()).newPage();
  await signedInAt(admin, '/admin/fulfilment');
  await expect(admin.getByRole('heading', { name: 'Fulfilment' })).toBeVisible();
  const row = admin.locator(`tr[data-order="${orderId}"]`);
  await expect(row).toContainText('2 × Loose-Leaf Tea Tin');
  await expect(row.getByTestId('queue-fulfilment')).toHaveText('Not shipped yet');

  // Its packing slip.
  await row.getByRole('link', { name: 'Packing slip' }).click();
  await expect(admin.getByTestId('packing-slip')).toContainText('Loose-Leaf Tea Tin');
  await expect(admin.getByTestId('packing-slip')).toContainText(orderId);
  await expect(admin.getByTestId('document-address')).toContainText('350 Fifth Avenue');
  // Printed, it is the slip alone: no shop header, footer or links.
  await admin.emulateMedia({ media: 'print' });
  await expect(admin.locator('.site-header')).toBeHidden();
  await expect(admin.locator('.site-footer')).toBeHidden();
  await expect(admin.locator('.document-toolbar')).toBeHidden();
  await expect(admin.getByTestId('packing-slip')).toBeVisible();
  await admin.emulateMedia({ media: 'screen' });

  // Marked shipped from the order's page.
  await admin.goto(`/admin/orders/${orderId}`);
  await hydrated(admin);
  const status = admin.getByTestId('fulfilment-status');
  await expect(status).toHaveText('Not shipped yet');
  // The page re-reads the order when its live stream connects; fill in once it has settled.
  await expect(async () => {
    if ((await admin.getByTestId('ship-form').count()) > 0) {
      await admin.getByTestId('carrier').fill('UPS');
      await admin.getByTestId('tracking-number').fill(tracking);
      await admin.getByTestId('tracking-url').fill(trackingUrl);
      await admin.getByTestId('mark-shipped').click();
    }
    await expect(status).toHaveText('Shipped', { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await expect(admin.getByTestId('admin-shipments')).toContainText(tracking);
  await expect(admin.getByTestId('timeline')).toContainText(`tracking ${tracking}`);

  // The shopper's page, open all along, shows it without a reload.
  const parcel = shopper.getByTestId('shipment');
  await expect(parcel.getByTestId('shipment-state')).toHaveText('Shipped');
  await expect(parcel.getByTestId('tracking-link')).toHaveText(tracking);
  await expect(parcel.getByTestId('tracking-link')).toHaveAttribute('href', trackingUrl);
  await expect(parcel).toContainText('UPS');

  // The queue no longer lists it.
  await admin.goto('/admin/fulfilment');
  await expect(admin.getByRole('heading', { name: 'Fulfilment' })).toBeVisible();
  await expect(admin.locator(`tr[data-order="${orderId}"]`)).toHaveCount(0);

  // The email is in the outbox, with the carrier, the tracking number and its link.
  await admin.goto('/admin/emails');
  const emailRow = admin.getByTestId('email-row').filter({ hasText: email }).filter({ hasText: 'Your order has shipped' });
  await expect(emailRow).toHaveCount(1);
  await emailRow.getByRole('link', { name: /Your order has shipped/ }).click();
  await expect(admin.getByTestId('email-text')).toContainText(`UPS. Tracking number: ${tracking}`);
  await expect(admin.getByTestId('email-links')).toContainText(trackingUrl);

  // Delivered: the shopper's page follows.
  await admin.goto(`/admin/orders/${orderId}`);
  await hydrated(admin);
  await expect(async () => {
    if ((await admin.getByTestId('mark-delivered').count()) > 0) {
      await admin.getByTestId('mark-delivered').click();
    }
    await expect(admin.getByTestId('fulfilment-status')).toHaveText('Delivered', { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await expect(parcel.getByTestId('shipment-state')).toHaveText('Delivered');

  // The invoice has its number, for the merchant and in the shopper's copy.
  await admin.getByTestId('invoice-link').click();
  await expect(admin.getByTestId('invoice')).toBeVisible();
  const number = (await admin.getByTestId('invoice-number').textContent())!;
  expect(number).toMatch(/^\d+$/);
  await expect(admin.getByTestId('invoice')).toContainText('Grace Hopper');
  await shopper.getByTestId('shopper-invoice-link').click();
  await expect(shopper.getByTestId('invoice-number')).toHaveText(number);
});
