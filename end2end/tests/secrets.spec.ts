import type { Page, Response } from '@playwright/test';
import { pay, toPayment } from './support/checkout';
import { query } from './support/db';
import { ADMIN_PASSWORD, E2E_PORT } from './support/env';
import { fillCard } from './support/sim';
import { bundle } from './support/shop';
import { expect, test } from './support/test';

// No page, asset or answer the shop serves holds a server-side secret: not the Stripe secret key
// (here the embedded simulator's, kept in the shop's database), not a webhook signing secret.

const SHOP = `http://127.0.0.1:${E2E_PORT}`;
/** What any secret key or signing secret starts with. */
const PREFIXES = ['sk_test_', 'sk_live_', 'rk_test_', 'rk_live_', 'whsec_'];

/** The secrets themselves, read from the database (where the shop keeps the simulator's). */
function secrets(): string[] {
  const [[keys]] = query<[string]>("SELECT value FROM stripe_sim_meta WHERE key = 'keys'");
  const secretKey = keys.split(' ')[0];
  expect(secretKey).toMatch(/^sk_test_/);
  const signing = query<[string]>("SELECT body FROM stripe_sim_objects WHERE kind = 'webhook_endpoint'").flatMap(
    ([body]) => (JSON.parse(body).secrets as { value: string }[]).map((s) => s.value),
  );
  expect(signing.length).toBeGreaterThan(0);
  for (const secret of signing) expect(secret).toMatch(/^whsec_/);
  return [secretKey, ...signing];
}

/** Which of the secrets, or of their prefixes, `what` contains (bytes read as Latin-1: wasm too). */
function found(what: Buffer | string, known: string[]): string[] {
  const text = typeof what === 'string' ? what : what.toString('latin1');
  return [...PREFIXES, ...known].filter((s) => text.includes(s));
}

function headersText(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

test('no page or file the shop serves holds a secret', async ({ request }) => {
  const known = secrets();
  // Every file of the browser bundle, the admin's lazily loaded chunks included.
  const { dir, main, loader, chunks } = await bundle(request);
  const queue = [
    '/',
    '/cart',
    '/checkout',
    '/admin',
    '/admin/analytics',
    '/no-such-page',
    '/favicon.svg',
    // The embedded simulator's Stripe.js stand-in and its pages, served by the shop too.
    '/stripe-sim/v3/',
    '/stripe-sim/v3/elements-inner.html',
    '/stripe-sim/v3/three-ds-challenge.html',
    '/stripe-sim/_sim/demo.html',
    ...main,
    loader,
    `${dir}/__wasm_split_manifest.json`,
    ...chunks,
  ];
  const seen = new Set<string>();
  const leaks: string[] = [];
  // The pages, and everything on this origin they link to or load (products, images, …).
  while (queue.length > 0 && seen.size < 400) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const response = await request.get(path, { headers: { Accept: 'text/html,*/*' }, maxRedirects: 0 });
    const body = await response.body();
    for (const secret of [...found(body, known), ...found(headersText(response.headers()), known)]) {
      leaks.push(`${path}: ${secret}`);
    }
    if (!(response.headers()['content-type'] ?? '').startsWith('text/html')) continue;
    for (const [, link] of body.toString('utf8').matchAll(/(?:href|src)="([^"#]+)"/g)) {
      const url = new URL(link.replaceAll('&amp;', '&'), `${SHOP}${path}`);
      if (url.origin === SHOP && !url.pathname.endsWith('.csv')) queue.push(url.pathname + url.search);
    }
  }
  expect(seen).toContain('/products/stoneware-mug'); // the crawl followed the shop's links
  expect([...seen].some((p) => p.startsWith('/images/'))).toBe(true);
  expect(leaks).toEqual([]);
});

/** Keeps every response a page receives (the live stream, which never ends, left out). */
function recordResponses(page: Page): () => Promise<{ url: string; body: Buffer; headers: string }[]> {
  const pending: Promise<{ url: string; body: Buffer; headers: string } | null>[] = [];
  page.on('response', (response: Response) => {
    pending.push(
      (async () => {
        if ((response.headers()['content-type'] ?? '').includes('text/event-stream')) return null;
        const body = await response.body().catch(() => Buffer.alloc(0)); // redirects have none
        return { url: response.url(), body, headers: headersText(await response.allHeaders()) };
      })(),
    );
  });
  return async () => (await Promise.all(pending)).filter((r) => r !== null);
}

test('nothing the browser receives while a shopper pays and the merchant looks holds a secret', async ({ page, browser }) => {
  const known = secrets();
  const shopper = recordResponses(page);
  const orderId = await toPayment(page, 'linen-apron');
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page.getByTestId('order-status')).toHaveText('Paid');

  const merchant = await (await browser.newContext()).newPage();
  const merchantSaw = recordResponses(merchant);
  await merchant.goto('/admin');
  await merchant.getByLabel('Password').fill(ADMIN_PASSWORD);
  await merchant.getByRole('button', { name: 'Sign in' }).click();
  await merchant.locator(`tr[data-order="${orderId}"]`).getByRole('link', { name: orderId }).click();
  await expect(merchant.getByTestId('admin-order-status')).toHaveText('Paid');
  await merchant.goto('/admin/analytics');
  await expect(merchant.getByTestId('revenue-chart')).toBeVisible();

  const responses = [...(await shopper()), ...(await merchantSaw())];
  // The payment went through the shop's server functions and the stand-in's API, all seen here.
  expect(responses.some((r) => r.url.includes('/api/'))).toBe(true);
  expect(responses.some((r) => r.url.includes('/stripe-sim/v1/'))).toBe(true);
  const leaks = responses.flatMap((r) => [...found(r.body, known), ...found(r.headers, known)].map((s) => `${r.url}: ${s}`));
  for (const p of [page, merchant]) {
    for (const frame of p.frames()) {
      leaks.push(...found(await frame.content(), known).map((s) => `DOM of ${frame.url()}: ${s}`));
    }
  }
  expect(leaks).toEqual([]);
});
