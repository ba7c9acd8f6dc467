import type { Page } from '@playwright/test';
import { expect, test } from './support/test';
import { pay, toPayment } from './support/checkout';
import { query } from './support/db';
import { ADMIN_PASSWORD } from './support/env';
import { dbProduct, hydrated, usd, usTotal } from './support/shop';
import { fillCard } from './support/sim';

// Receipts in the embedded default (no SMTP server): the outbox keeps every email, and the
// admin's Emails page shows it exactly as the shopper would get it.

async function signedInAt(page: Page, path: string) {
  await page.goto(path);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

function uniqueEmail(what: string): string {
  return `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

test('pay with 4242, read the receipt in the admin, follow its link to the live order page', async ({ browser }) => {
  const email = uniqueEmail('receipt');
  const mug = dbProduct('stoneware-mug');
  const shopper = await (await browser.newContext()).newPage();
  const orderId = await toPayment(shopper, 'stoneware-mug', 2, email);
  await fillCard(shopper, '4242424242424242');
  await pay(shopper);
  await expect(shopper.getByTestId('order-status')).toHaveText('Paid');

  const admin = await (await browser.newContext()).newPage();
  await signedInAt(admin, '/admin/emails');
  await expect(admin.getByRole('heading', { name: 'Emails' })).toBeVisible();
  await expect(admin.getByTestId('smtp-off')).toBeVisible();
  const row = admin.getByTestId('email-row').filter({ hasText: email });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('email-status')).toHaveText('Pending');
  await row.getByRole('link', { name: `Your receipt from Hearth & Kettle: order ${orderId}` }).click();

  const text = admin.getByTestId('email-text');
  await expect(text).toContainText(`We received your payment of ${usd(usTotal(2 * mug.price_minor))}`);
  await expect(text).toContainText(`2 × Stoneware Mug at ${usd(mug.price_minor)}`);
  await expect(admin.getByTestId('email-to')).toHaveText(email);
  await admin.getByTestId('email-links').getByRole('link', { name: new RegExp(`/orders/${orderId}$`) }).click();

  // The receipt's link opens the live order page.
  await expect(admin).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await hydrated(admin);
  await expect(admin.getByTestId('order-status')).toHaveText('Paid');
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-live', 'true');
  await expect(admin.getByTestId('order-total')).toHaveText(usd(usTotal(2 * mug.price_minor)));

  // The order's timeline says which email was queued.
  await admin.goto(`/admin/orders/${orderId}`);
  await expect(admin.getByTestId('timeline')).toContainText(`Receipt queued for ${email}`);
  await expect(admin.getByTestId('emails')).toContainText(email);
});

test('find my order: a known email gets a link that opens the order; an unknown one reads the same and gets nothing', async ({ browser }) => {
  const email = uniqueEmail('finder');
  const stranger = uniqueEmail('stranger');
  const shopper = await (await browser.newContext()).newPage();
  const orderId = await toPayment(shopper, 'stoneware-mug', 1, email);

  // Later, in another browser, with the order's page lost.
  const later = await (await browser.newContext()).newPage();
  await later.goto('/');
  await later.getByRole('link', { name: 'Find my order' }).click();
  await hydrated(later);
  await later.getByLabel('Email').fill(email);
  await later.getByRole('button', { name: 'Email me my orders' }).click();
  const answer = later.getByTestId('find-answer');
  await expect(answer).toContainText('If we have orders for that address, we have emailed links to them.');
  const said = await answer.textContent();

  await later.getByLabel('Email').fill(stranger);
  await later.getByRole('button', { name: 'Email me my orders' }).click();
  await expect(answer).toHaveText(said!);
  expect(query('SELECT count(*) FROM email_outbox WHERE recipient = ? COLLATE NOCASE', stranger)).toEqual([[0]]);

  // The message that went to the known address (read in the admin's outbox).
  const admin = await (await browser.newContext()).newPage();
  await signedInAt(admin, '/admin/emails');
  const row = admin.getByTestId('email-row').filter({ hasText: email });
  await expect(row).toHaveCount(1);
  await row.getByRole('link', { name: 'Your orders at Hearth & Kettle' }).click();
  await expect(admin.getByTestId('email-text')).toContainText(`Order ${orderId}`);
  await expect(admin.getByTestId('email-text')).toContainText('These links work for 24 hours.');
  const link = admin.getByTestId('email-links').getByRole('link', { name: /\/orders\/open\// });
  await expect(link).toHaveCount(1);
  const href = (await link.getAttribute('href'))!;

  // The link, opened by the shopper, shows their order.
  await later.goto(href);
  await expect(later).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(later.getByRole('heading', { name: 'Your order' })).toBeVisible();
  await expect(later.getByText(`Order ${orderId} · receipt to ${email}`)).toBeVisible();

  // A made-up link goes back to the form, saying so.
  await later.goto(`/orders/open/${'a'.repeat(64)}`);
  await expect(later.getByTestId('link-expired')).toBeVisible();
});
