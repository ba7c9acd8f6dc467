import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { query } from './db';

export interface DbProduct {
  slug: string;
  name: string;
  price_minor: number;
  currency: string;
  stock: number;
}

/** The catalog as the database holds it, read directly, not through the app. */
export function dbProducts(): DbProduct[] {
  const rows = query<[string, string, number, string, number]>(
    'SELECT slug, name, price_minor, currency, stock FROM products ORDER BY id',
  );
  return rows.map(([slug, name, price_minor, currency, stock]) => ({ slug, name, price_minor, currency, stock }));
}

export function dbProduct(slug: string): DbProduct {
  const found = dbProducts().find((p) => p.slug === slug);
  if (!found) throw new Error(`no product ${slug} in the database`);
  return found;
}

/** Formats integer cents as the shop shows US dollars: $1,234.50. Integer arithmetic only. */
export function usd(cents: number): string {
  const whole = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `$${whole}.${String(cents % 100).padStart(2, '0')}`;
}

/** The seeded US Standard rate: $5.95, free from $75.00 of items. */
export function usShipping(itemsMinor: number): number {
  return itemsMinor >= 7500 ? 0 : 595;
}

/** What an order of `itemsMinor` shipped to the default (New York) address costs: the items
 * (VAT-style prices, no US tax rate seeded) plus Standard shipping. */
export function usTotal(itemsMinor: number): number {
  return itemsMinor + usShipping(itemsMinor);
}

/** Waits until the WASM has hydrated the page, so clicks go through Leptos, not plain forms. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Counts full page loads from now on: a form handled by the WASM must not cause one. */
export function countReloads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => {
    loads += 1;
  });
  return () => loads;
}

/** The browser bundle as the shop serves it: its content-named folder (from the page's
 * preload link), the files every page loads, and the lazily loaded chunks of each lazy route
 * (from the split manifest in the same folder, keyed by the route's split name). */
export async function bundle(request: APIRequestContext) {
  const html = await (await request.get('/', { headers: { Accept: 'text/html' } })).text();
  const dir = html.match(/href="(\/pkg\/[0-9a-f]{16})\/checkout\.js"/)?.[1];
  if (!dir) throw new Error('no bundle folder linked from /');
  const response = await request.get(`${dir}/__wasm_split_manifest.json`);
  expect(response.status()).toBe(200);
  const manifest = (await response.json()) as Record<string, string[]>;
  /** The chunk files of the splits whose name matches `split`. */
  const chunksOf = (split: RegExp) =>
    new Set(
      Object.entries(manifest)
        .filter(([name]) => split.test(name))
        .flatMap(([, stems]) => stems.map((stem) => `${dir}/${stem}.wasm`)),
    );
  return {
    dir,
    main: ['checkout.js', 'checkout.wasm', 'checkout.css'].map((f) => `${dir}/${f}`),
    loader: `${dir}/__wasm_split.______________________.js`,
    chunks: [...chunksOf(/./)],
    chunksOf,
  };
}
