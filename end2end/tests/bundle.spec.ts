import { pay, toPayment } from './support/checkout';
import { ADMIN_PASSWORD } from './support/env';
import { bundle, hydrated } from './support/shop';
import { fillCard } from './support/sim';
import { expect, test } from './support/test';

// The checkout, the order page and the admin pages are lazy routes: their code is split into
// chunks of the bundle that only those pages load. Every file of the bundle lives in a folder
// named after its content.

/** Records the path of every wasm file the page requests. */
function wasmRequests(page: import('@playwright/test').Page): string[] {
  const paths: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) paths.push(path);
  });
  return paths;
}

test('browsing loads only the main bundle; checkout and the order page load theirs; no admin code ever', async ({ page, request }) => {
  const { dir, chunksOf } = await bundle(request);
  const admin = chunksOf(/^__(admin_orders|admin_order|analytics|emails|email)_route_/);
  const shopper = new Set([...chunksOf(/^__checkout_route_/), ...chunksOf(/^__order_route_/)]);
  const adminOnly = [...admin].filter((chunk) => !shopper.has(chunk));
  expect(adminOnly.length).toBeGreaterThan(0);
  const wasm = wasmRequests(page);

  for (const path of ['/', '/products/stoneware-mug', '/cart', '/find-order']) {
    await page.goto(path);
    await hydrated(page);
  }
  await page.getByRole('link', { name: 'Shop', exact: true }).click();
  await expect(page.getByTestId('product-card').first()).toBeVisible();
  expect(new Set(wasm)).toEqual(new Set([`${dir}/checkout.wasm`]));

  // The whole purchase: the checkout's and the order page's chunks come, the admin's never.
  const orderId = await toPayment(page, 'tea-tin');
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  expect(wasm.filter((p) => chunksOf(/^__checkout_route_/).has(p)).length).toBeGreaterThan(0);
  expect(wasm.filter((p) => adminOnly.includes(p))).toEqual([]);
});

test('the admin page fetches its chunks, opened directly or reached by a link', async ({ page, request }) => {
  const { dir, chunksOf } = await bundle(request);
  const wasm = wasmRequests(page);

  // Opened directly: the page's chunks are fetched before the page hydrates, and it works.
  await page.goto('/admin');
  await hydrated(page);
  const orders = chunksOf(/^__admin_orders_route_/);
  expect(wasm.filter((p) => orders.has(p)).length).toBeGreaterThan(0);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Orders' })).toBeVisible();

  // Reached by a link from a shopper's page, without a reload: the router loads the chunk.
  await page.goto('/');
  await hydrated(page);
  wasm.length = 0;
  await page.evaluate(() => {
    const link = document.createElement('a');
    link.href = '/admin/analytics';
    link.textContent = 'to analytics';
    document.querySelector('main')?.append(link);
  });
  await page.getByRole('link', { name: 'to analytics' }).click();
  await expect(page.getByRole('heading', { name: 'Last 30 days' })).toBeVisible();
  const analytics = chunksOf(/^__analytics_route_/);
  expect(wasm.filter((p) => analytics.has(p)).length).toBeGreaterThan(0);
  expect(wasm).not.toContain(`${dir}/checkout.wasm`);
});

test("an admin page's buttons stay disabled until its code has come", async ({ page, request }) => {
  const { chunksOf } = await bundle(request);
  const orderId = await toPayment(page, 'tea-tin');
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await page.goto('/admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Orders' })).toBeVisible();

  // The order page's own module is held back: the page is there, not yet hydrated.
  const own = [...chunksOf(/^__admin_order_route_/)].filter((p) => p.includes('/split___admin_order_route_'));
  expect(own.length).toBe(1);
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route((url) => own.includes(url.pathname), async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`/admin/orders/${orderId}`, { waitUntil: 'domcontentloaded' });
  await expect(page.getByTestId('admin-order-status')).toHaveText('Paid');
  await expect(page.getByRole('button', { name: 'Review refund' })).toBeDisabled();
  await expect(page.getByLabel(/^Amount/)).toBeDisabled();
  await expect(page.getByTestId('refresh-from-stripe')).toBeDisabled();
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);

  release();
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Review refund' })).toBeEnabled();
  await expect(page.getByTestId('refresh-from-stripe')).toBeEnabled();
  await page.getByRole('button', { name: 'Review refund' }).click();
  await expect(page.getByRole('button', { name: 'Confirm refund' })).toBeVisible();
});

test('every file of the bundle is cached for good; a missing one is not', async ({ request }) => {
  const { main, loader, chunks, dir } = await bundle(request);
  for (const path of [...main, loader, ...chunks]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
    expect(response.headers()['cache-control'], path).toBe('public, max-age=31536000, immutable');
  }
  const missing = await request.get(`${dir}/nothing-here.wasm`);
  expect(missing.status()).toBe(404);
  expect(missing.headers()['cache-control'] ?? '').not.toContain('immutable');
});
