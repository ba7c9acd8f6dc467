import { expect, test } from './support/test';
import { ADMIN_PASSWORD, CARD_PORT } from './support/env';
import { hydrated, usd } from './support/shop';
import { continueToPayment, pay } from './support/checkout';
import { fillCard } from './support/sim';

// The "done when", in one browser session each: a new merchant sets up where they ship,
// a rate, a tax and a code, and adds a product with an image — no SQL anywhere — then follows
// a shopper's order from the address to the shipped email with tracking.
//
// On the second shop (the Card Element one, its own database), so that the product added here
// is not one the main shop's catalog tests count.
test.use({ baseURL: `http://127.0.0.1:${CARD_PORT}` });

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

test('a merchant sets up shipping, tax, a code and a product, and ships the order a shopper pays', async ({ browser }) => {
  // A whole day's work in one test: more than the default 30 s.
  test.setTimeout(60_000);
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const code = `JOURNEY-${suffix}`.toUpperCase();
  const name = `Linen Towel ${suffix}`;
  const slug = `linen-towel-${suffix}`;
  const email = `journey-${suffix}@example.com`;
  const tracking = `PN${Date.now()}`;

  // The merchant: Sweden, a flat rate, Swedish VAT, a code.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto('/admin/shipping');
  await hydrated(admin);
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await expect(admin.getByRole('heading', { name: 'Shipping', level: 1 })).toBeVisible();
  const addZone = admin.getByRole('region', { name: 'Add a zone' });
  await addZone.getByLabel('Zone name').fill(`Sweden ${suffix}`);
  await addZone.getByRole('button', { name: 'Add zone' }).click();
  const zone = admin.locator(`[data-testid="zone"][data-zone="Sweden ${suffix}"]`);
  await zone.getByLabel('Countries').fill('se');
  await zone.getByRole('button', { name: 'Save countries' }).click();
  await expect(zone.getByTestId('zone-countries')).toHaveText('Sweden (SE)');
  await zone.getByText('Add a rate').click();
  await zone.getByLabel('Rate name').fill('PostNord');
  await zone.getByLabel('Kind').selectOption('flat');
  await zone.getByLabel(/^Price/).fill('7.00');
  await zone.getByRole('button', { name: 'Add rate' }).click();
  await expect(zone.getByTestId('rate-summary')).toContainText('PostNord: $7.00');

  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Taxes' }).click();
  const addTax = admin.getByRole('region', { name: 'Add a tax rate' });
  await addTax.getByLabel('Country').fill('SE');
  await addTax.getByLabel('Tax name').fill('Moms');
  await addTax.getByLabel('Rate (%)').fill('25');
  await addTax.getByRole('button', { name: 'Add tax rate' }).click();
  await expect(admin.locator('[data-testid="tax-rate"][data-tax="SE-"]')).toContainText('Moms 25%');

  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Discounts' }).click();
  const addCode = admin.getByRole('region', { name: 'Add a discount code' });
  await addCode.getByLabel('Code', { exact: true }).fill(code);
  await addCode.getByLabel('Kind').selectOption('percent');
  await addCode.getByLabel('Percent off').fill('10');
  await addCode.getByRole('button', { name: 'Add code' }).click();
  await expect(admin.locator(`[data-testid="discount-code"][data-code="${code}"]`)).toBeVisible();

  // A product with an image.
  await admin.goto('/admin/products');
  await admin.getByRole('link', { name: 'Add a product' }).click();
  await hydrated(admin);
  await admin.getByLabel('Name').fill(name);
  await admin.getByLabel(/^Slug/).fill(slug);
  await admin.getByLabel('Description').fill('Stonewashed linen, 50 × 70 cm.');
  await admin.getByLabel(/^Price/).fill('20.00');
  await admin.getByLabel('Weight in grams').fill('300');
  await admin.getByLabel('Stock', { exact: true }).fill('4');
  await admin.getByRole('button', { name: 'Add product' }).click();
  await expect(admin.getByTestId('product-heading')).toHaveText(name);
  await admin.getByLabel(/^New image/).setInputFiles({ name: 'towel.png', mimeType: 'image/png', buffer: PNG });
  await admin.getByRole('button', { name: 'Upload image' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'Image uploaded.' })).toBeVisible();

  // The shopper: the new product, shipped to Stockholm with the code.
  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto(`/products/${slug}`);
  await hydrated(shopper);
  await shopper.getByRole('button', { name: 'Add to cart' }).click();
  await expect(shopper.getByRole('status')).toContainText('Added');
  await shopper.goto('/checkout');
  await hydrated(shopper);
  await shopper.getByLabel('Discount code (optional)').fill(code.toLowerCase());
  await continueToPayment(shopper, email, {
    name: 'Greta Garbo',
    line1: 'Drottninggatan 1',
    city: 'Stockholm',
    region: '',
    postal: '111 22',
    country: 'SE',
  });
  // $20.00 − 10 % + $7.00 = $25.00, of which 25 % VAT inside: $3.60 on the towel, $1.40 on shipping.
  await expect(shopper.getByTestId('price-discount')).toHaveText(`−${usd(200)}`);
  await expect(shopper.getByTestId('price-shipping')).toHaveText(usd(700));
  await expect(shopper.getByTestId('price-tax')).toHaveText(usd(500));
  await expect(shopper.getByText('Includes Moms 25%')).toBeVisible();
  await expect(shopper.getByTestId('checkout-total')).toHaveText(usd(2500));
  await expect(shopper.locator('iframe[title="Secure card payment input frame"]')).toBeVisible();
  const orderId = (await shopper.locator('[data-order-id]').getAttribute('data-order-id'))!;
  await fillCard(shopper, '4242424242424242');
  await pay(shopper);
  await expect(shopper).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(shopper.getByTestId('order-status')).toHaveText('Paid');
  await expect(shopper.getByTestId('order-total')).toHaveText(usd(2500));
  await hydrated(shopper);
  await expect(shopper.getByTestId('order-status')).toHaveAttribute('data-live', 'true');

  // The merchant: the order waits in the queue with its address; marked shipped with tracking.
  await admin.goto('/admin/fulfilment');
  const row = admin.locator(`tr[data-order="${orderId}"]`);
  await expect(row).toContainText(`1 × ${name}`);
  await expect(row).toContainText('Drottninggatan 1');
  await admin.goto(`/admin/orders/${orderId}`);
  await hydrated(admin);
  await expect(admin.getByTestId('admin-order-total')).toHaveText(usd(2500));
  await expect(admin.getByTestId('shipping-address')).toContainText('111 22');
  const status = admin.getByTestId('fulfilment-status');
  await expect(async () => {
    if ((await admin.getByTestId('ship-form').count()) > 0) {
      await admin.getByTestId('carrier').fill('PostNord');
      await admin.getByTestId('tracking-number').fill(tracking);
      await admin.getByTestId('mark-shipped').click();
    }
    await expect(status).toHaveText('Shipped', { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });

  // The shopper's page, open all along, shows it; the email went out through the outbox.
  await expect(shopper.getByTestId('shipment').getByTestId('shipment-state')).toHaveText('Shipped');
  await expect(shopper.getByTestId('shipment')).toContainText(tracking);
  await admin.goto('/admin/emails');
  const shipped = admin.getByTestId('email-row').filter({ hasText: email }).filter({ hasText: 'Your order has shipped' });
  await expect(shipped).toHaveCount(1);
  await shipped.getByRole('link', { name: /Your order has shipped/ }).click();
  await expect(admin.getByTestId('email-text')).toContainText(`PostNord. Tracking number: ${tracking}`);
});
