import { expect, test } from './support/test';
import { execute, query } from './support/db';
import { dbProduct, hydrated, usd } from './support/shop';
import { BERLIN, continueToPayment, fillAddress, pay, toCheckout } from './support/checkout';
import { fillCard } from './support/sim';

// From the cart to an order that knows where it goes: the shopper gives an address, picks a
// shipping rate, applies a discount code and pays exactly the total the page shows, with every
// line (items, discount, shipping, tax) on the checkout and on the order page.

function uniqueCode(): string {
  return `E2E${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e4)}`;
}

test('address, a rate, a code, then pay: charged the total the page shows, every line on the order page', async ({ page }) => {
  const code = uniqueCode();
  execute("INSERT INTO discount_codes (code, kind, percent_bp) VALUES (?, 'percent', 1000)", code);
  const kettle = dbProduct('copper-kettle');
  await toCheckout(page, 'copper-kettle', 1);
  await continueToPayment(page, 'delivery@example.com');
  // New York: Standard is free over $75.00, so it is chosen; Express is priced by weight.
  const rates = page.getByRole('group', { name: 'Shipping', exact: true });
  await expect(rates.getByRole('radio')).toHaveCount(2);
  await expect(rates.getByLabel(/Standard/)).toBeChecked();
  await expect(page.getByTestId('price-shipping')).toHaveText('Free');
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(kettle.price_minor));

  // Express: $12.00 + $3.00 per started kg (1.1 kg → 2 kg) = $18.00.
  await rates.getByLabel(/Express/).check();
  await expect(page.getByTestId('price-shipping')).toHaveText(usd(1800));
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(kettle.price_minor + 1800));

  // 10 % off the items.
  await page.getByLabel('Discount code (optional)').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Apply' }).click();
  const discount = Math.floor((kettle.price_minor * 1000 + 5000) / 10000);
  await expect(page.getByTestId('price-discount')).toHaveText(`−${usd(discount)}`);
  const total = kettle.price_minor - discount + 1800;
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(total));
  await expect(page.getByRole('button', { name: /^Pay / })).toHaveText(`Pay ${usd(total)}`);
  await expect(rates.getByLabel(/Express/)).toBeChecked();

  // A reload (or coming back from PayPal's window) finds the form filled in.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Email for your receipt')).toHaveValue('delivery@example.com');
  await expect(page.getByLabel('Street address')).toHaveValue('350 Fifth Avenue');
  await expect(page.getByLabel('Country')).toHaveValue('US');
  await expect(page.getByLabel('Discount code (optional)')).toHaveValue(code);
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await rates.getByLabel(/Express/).check();
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(total));

  const orderId = (await page.locator('[data-order-id]').getAttribute('data-order-id'))!;
  await fillCard(page, '4242424242424242');
  await pay(page);
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('order-total')).toHaveText(usd(total));
  await expect(page.getByTestId('price-shipping')).toHaveText(usd(1800));
  await expect(page.getByTestId('price-discount')).toHaveText(`−${usd(discount)}`);
  await expect(page.getByTestId('shipping-address')).toContainText('350 Fifth Avenue');

  const [[pi, stored]] = query<[string, number]>('SELECT payment_intent_id, total_minor FROM orders WHERE id = ?', orderId);
  expect(stored).toBe(total);
  const [[body]] = query<[string]>("SELECT body FROM stripe_sim_objects WHERE kind = 'payment_intent' AND id = ?", pi);
  const intent = JSON.parse(body);
  expect(intent.amount).toBe(total);
  expect(intent.shipping.address.line1).toBe('350 Fifth Avenue');
  expect(query("SELECT state FROM discount_redemptions WHERE order_id = ?", orderId)).toEqual([['taken']]);
});

test('a country the shop does not ship to is refused before any payment; Berlin shows VAT inside the price', async ({ page }) => {
  const mug = dbProduct('stoneware-mug');
  await toCheckout(page, 'stoneware-mug', 1);
  await fillAddress(page, 'abroad@example.com', { ...BERLIN, city: 'Tokyo', postal: '100-0001', country: 'JP' });
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await expect(page.getByRole('alert')).toHaveText("Sorry, we don't ship to Japan. Please choose another address.");
  await expect(page.getByTestId('payment-element')).toHaveCount(0);

  await fillAddress(page, 'abroad@example.com', BERLIN);
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  // Europe Standard: $9.00 + $2.50 per started kg (0.4 kg → 1) = $11.50; 19 % VAT inside.
  await expect(page.getByTestId('price-shipping')).toHaveText(usd(1150));
  await expect(page.getByText('Includes VAT 19%')).toBeVisible();
  await expect(page.getByTestId('checkout-total')).toHaveText(usd(mug.price_minor + 1150));
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
});

test('a postal code of the wrong shape is explained, and nothing is ordered', async ({ page }) => {
  await toCheckout(page, 'tea-tin', 1);
  await fillAddress(page, 'zip@example.com', { ...BERLIN, country: 'US', region: 'NY', postal: '1234' });
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await expect(page.getByRole('alert')).toHaveText('“1234” is not a postal code in United States.');
  await hydrated(page);
  expect(query("SELECT count(*) FROM orders WHERE email = 'zip@example.com'")).toEqual([[0]]);
});
