import { expect, type Page } from '@playwright/test';
import { dbProduct, hydrated, usd, usTotal } from './shop';

export interface Address {
  name: string;
  line1: string;
  city: string;
  region: string;
  postal: string;
  country: string;
}

export const NEW_YORK: Address = { name: 'Grace Hopper', line1: '350 Fifth Avenue', city: 'New York', region: 'NY', postal: '10118', country: 'US' };
export const BERLIN: Address = { name: 'Ada Lovelace', line1: 'Unter den Linden 1', city: 'Berlin', region: '', postal: '10117', country: 'DE' };

/** Fills the checkout's email and shipping address (not submitted). */
export async function fillAddress(page: Page, email: string, to: Address = NEW_YORK) {
  await page.getByLabel('Email for your receipt').fill(email);
  await page.getByLabel('Full name').fill(to.name);
  await page.getByLabel('Street address').fill(to.line1);
  await page.getByLabel('City').fill(to.city);
  await page.getByLabel('State / province').fill(to.region);
  await page.getByLabel('Postal code').fill(to.postal);
  await page.getByLabel('Country').selectOption(to.country);
}

/** Gives the email and address and continues to payment. */
export async function continueToPayment(page: Page, email: string, to: Address = NEW_YORK) {
  await fillAddress(page, email, to);
  await page.getByRole('button', { name: 'Continue to payment' }).click();
}

/** Puts `quantity` of a product in the cart and opens the checkout page, hydrated. */
export async function toCheckout(page: Page, slug = 'stoneware-mug', quantity = 1) {
  await page.goto(`/products/${slug}`);
  await hydrated(page);
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toContainText('Added');
  await page.goto('/checkout');
  await hydrated(page);
}

/** Puts a product in the cart, goes to checkout, gives an email: the Element is ready. Returns the order id. */
export async function toPayment(page: Page, slug = 'stoneware-mug', quantity = 1, email = 'shopper@example.com'): Promise<string> {
  const product = dbProduct(slug);
  await toCheckout(page, slug, quantity);
  await expect(page.getByTestId('checkout-subtotal')).toHaveText(usd(quantity * product.price_minor));
  await continueToPayment(page, email);
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(usTotal(quantity * product.price_minor)));
  await expect(page.frameLocator('iframe[title*="payment input"]').locator('input[name="number"]')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
  return (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
}

export async function pay(page: Page) {
  await page.getByRole('button', { name: /^Pay / }).click();
}

