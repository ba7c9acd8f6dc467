import { expect, type Page } from '@playwright/test';
import { dbProduct, hydrated, usd } from './shop';

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
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(quantity * product.price_minor));
  await page.getByLabel('Email for your receipt').fill(email);
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await expect(page.frameLocator('iframe[title*="payment input"]').locator('input[name="number"]')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
  return (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
}

export async function pay(page: Page) {
  await page.getByRole('button', { name: /^Pay / }).click();
}

