import { expect, test } from './support/test';
import { ADMIN_PASSWORD } from './support/env';
import { hydrated } from './support/shop';

// The merchant sets up shipping to a new country, its tax and a discount code, and sees each
// listed. Names are this test's own (the end-to-end shop is shared by the tests running beside it).

test('the merchant adds a zone with a rate, a tax rate and a discount code, and sees them listed', async ({ page }) => {
  await page.goto('/admin/shipping');
  // Hydrated: the forms run as server actions (a plain form post before hydration is covered by
  // the app's tests, settings_admin::without_javascript_…).
  await hydrated(page);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Shipping', level: 1 })).toBeVisible();
  // The seeded zones are listed with their countries.
  await expect(page.locator('[data-testid="zone"][data-zone="Europe"]').getByTestId('zone-countries')).toContainText('Germany (DE)');

  // A zone for New Zealand.
  const addZone = page.getByRole('region', { name: 'Add a zone' });
  await addZone.getByLabel('Zone name').fill('Oceania (e2e)');
  await addZone.getByRole('button', { name: 'Add zone' }).click();
  const zone = page.locator('[data-testid="zone"][data-zone="Oceania (e2e)"]');
  await expect(zone.getByTestId('zone-countries')).toHaveText('No countries yet.');

  // A country already in another zone is refused, naming that zone; nothing changes.
  await zone.getByLabel('Countries').fill('nz, de');
  await zone.getByRole('button', { name: 'Save countries' }).click();
  await expect(page.getByRole('alert')).toContainText('DE is already in the zone “Europe”');
  await expect(zone.getByTestId('zone-countries')).toHaveText('No countries yet.');

  await zone.getByLabel('Countries').fill('nz');
  await zone.getByRole('button', { name: 'Save countries' }).click();
  await expect(zone.getByTestId('zone-countries')).toHaveText('New Zealand (NZ)');

  // A rate in it: free over an amount.
  await zone.getByText('Add a rate').click();
  await zone.getByLabel('Rate name').fill('Standard');
  await zone.getByLabel('Kind').selectOption('free_over');
  await zone.getByLabel(/^Price/).fill('9.50');
  await zone.getByLabel(/^Free from/).fill('100');
  await zone.getByRole('button', { name: 'Add rate' }).click();
  await expect(zone.getByTestId('rate-summary')).toHaveText('Standard: $9.50, free from $100.00');

  // Its tax: 8.875 % is finer than a basis point and refused; 15 % is kept.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Taxes' }).click();
  await expect(page.getByRole('heading', { name: 'Taxes', level: 1 })).toBeVisible();
  await expect(page.getByTestId('tax-mode')).toBeVisible();
  const addTax = page.getByRole('region', { name: 'Add a tax rate' });
  await addTax.getByLabel('Country').fill('NZ');
  await addTax.getByLabel('Tax name').fill('GST');
  await addTax.getByLabel('Rate (%)').fill('8.875');
  await addTax.getByRole('button', { name: 'Add tax rate' }).click();
  await expect(page.getByRole('alert')).toContainText('more than 2 decimals');
  await addTax.getByLabel('Rate (%)').fill('15');
  await addTax.getByRole('button', { name: 'Add tax rate' }).click();
  await expect(page.locator('[data-testid="tax-rate"][data-tax="NZ-"]')).toContainText('New Zealand (NZ): GST 15%, on shipping too');

  // A discount code with a limit and an end date.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Discounts' }).click();
  await expect(page.getByRole('heading', { name: 'Discounts', level: 1 })).toBeVisible();
  const addCode = page.getByRole('region', { name: 'Add a discount code' });
  await addCode.getByLabel('Code', { exact: true }).fill('kiwi-e2e');
  await addCode.getByLabel('Kind').selectOption('percent');
  await addCode.getByLabel('Percent off').fill('12.5');
  await addCode.getByLabel(/^Ends/).fill('2031-01-01');
  await addCode.getByLabel(/^Total uses/).fill('50');
  await addCode.getByRole('button', { name: 'Add code' }).click();
  const code = page.locator('[data-testid="discount-code"][data-code="KIWI-E2E"]');
  await expect(code.getByTestId('discount-summary')).toHaveText('12.5% off, until 2031-01-01');
  await expect(code.getByTestId('discount-usage')).toHaveText('0 of 50 used');

  // All of it is still there on a fresh load of each page.
  await page.reload();
  await expect(code.getByTestId('discount-usage')).toHaveText('0 of 50 used');
  await page.goto('/admin/shipping');
  await expect(zone.getByTestId('rate-summary')).toHaveText('Standard: $9.50, free from $100.00');
  await expect(zone.getByTestId('zone-countries')).toHaveText('New Zealand (NZ)');
  // The orders page links to the settings.
  await page.goto('/admin');
  await expect(page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Shipping' })).toBeVisible();
});
