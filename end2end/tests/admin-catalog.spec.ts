import { expect, test } from './support/test';
import { ADMIN_PASSWORD, CARD_PORT } from './support/env';
import { hydrated } from './support/shop';

// The merchant adds a product with an image in the admin, and shoppers see it in the shop.
//
// On the second shop (the Card Element one, its own database): the main shop's tests count the
// catalog's products, and a product added while they run would be one they did not expect.
test.use({ baseURL: `http://127.0.0.1:${CARD_PORT}` });

/** A real 1×1 PNG (one transparent pixel), made here rather than read from a file. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

test('the merchant adds a product with an uploaded image, and it is sold in the shop', async ({ browser }) => {
  expect(PNG.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const name = `Enamel Jug ${suffix}`;
  const slug = `enamel-jug-${suffix}`;

  const merchantContext = await browser.newContext();
  const admin = await merchantContext.newPage();
  await admin.goto('/admin');
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await expect(admin.getByRole('heading', { name: 'Orders' })).toBeVisible();
  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Products' }).click();
  await expect(admin.getByRole('heading', { name: 'Products' })).toBeVisible();
  // Seeded products are listed with their stock.
  await expect(admin.getByTestId('admin-products')).toContainText('Copper Kettle');

  await admin.getByRole('link', { name: 'Add a product' }).click();
  await expect(admin.getByRole('heading', { name: 'Add a product' })).toBeVisible();
  await hydrated(admin);
  await admin.getByLabel('Name').fill(name);
  await admin.getByLabel(/^Slug/).fill(slug);
  await admin.getByLabel('Description').fill('Enamelled steel, 1 litre.\nA blue rim.');
  await admin.getByLabel(/^Price/).fill('31.50');
  await admin.getByLabel('Weight in grams').fill('700');
  await admin.getByLabel('Stock', { exact: true }).fill('5');
  await admin.getByRole('button', { name: 'Add product' }).click();

  // Its own page: the image is uploaded there.
  await expect(admin.getByTestId('product-heading')).toHaveText(name);
  await expect(admin).toHaveURL(/\/admin\/products\/\d+$/);
  await expect(admin.getByTestId('product-stock')).toHaveText('5');
  await expect(admin.getByTestId('stock-history')).toContainText('Initial stock');
  await admin.getByLabel(/^New image/).setInputFiles({ name: 'jug.png', mimeType: 'image/png', buffer: PNG });
  await admin.getByRole('button', { name: 'Upload image' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'Image uploaded.' })).toBeVisible();
  const preview = admin.getByTestId('product-image');
  await expect(preview).toHaveAttribute('src', /^\/images\/uploads\/\d+$/);
  const src = (await preview.getAttribute('src')) ?? '';

  // Two jugs broke: the stock goes down, with the reason kept in the history.
  await hydrated(admin);
  await admin.getByLabel(/^Change/).fill('-2');
  await admin.getByLabel('Reason').fill('Two chipped in the stockroom');
  await admin.getByRole('button', { name: 'Adjust stock' }).click();
  await expect(admin.getByTestId('product-stock')).toHaveText('3');
  await expect(admin.getByTestId('stock-history')).toContainText('Two chipped in the stockroom');
  await expect(admin.getByTestId('stock-history')).toContainText('-2');

  // The image as the shop serves it: the bytes sent, as a PNG the browser may not reinterpret.
  const served = await admin.request.get(src);
  expect(served.status()).toBe(200);
  expect(served.headers()['content-type']).toBe('image/png');
  expect(served.headers()['x-content-type-options']).toBe('nosniff');
  expect(Buffer.compare(await served.body(), PNG)).toBe(0);

  // A shopper (another browser) finds it in the shop, with its image, and on its own page.
  const shopperContext = await browser.newContext();
  const shopper = await shopperContext.newPage();
  await shopper.goto('/');
  const card = shopper.getByTestId('product-card').filter({ has: shopper.getByRole('heading', { name }) });
  await expect(card).toBeVisible();
  await expect(card).toContainText('$31.50');
  const image = card.locator('img.product-image');
  await expect(image).toHaveAttribute('src', src);
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)))
    .toBe(1);
  await card.getByRole('link', { name }).click();
  await expect(shopper).toHaveURL(new RegExp(`/products/${slug}$`));
  await expect(shopper.getByRole('heading', { name })).toBeVisible();
  await expect(shopper.locator('.product-detail-media img')).toHaveAttribute('src', src);

  await shopperContext.close();
  await merchantContext.close();
});
