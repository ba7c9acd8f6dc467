import { expect, test } from './support/test';
import { countReloads, dbProduct, dbProducts, hydrated, usd } from './support/shop';

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the shop page lists every product with its price', async ({ page, request }) => {
    const products = dbProducts();
    expect(products.length).toBeGreaterThanOrEqual(8);

    const html = await (await request.get('/', { headers: { Accept: 'text/html' } })).text();
    for (const product of products) {
      expect(html).toContain(product.name);
    }

    await page.goto('/');
    const cards = page.getByTestId('product-card');
    await expect(cards).toHaveCount(products.length);
    for (const product of products) {
      const card = cards.filter({ has: page.getByRole('heading', { name: product.name }) });
      await expect(card).toContainText(usd(product.price_minor));
    }
  });

  test('a product can be added to the cart with a plain form post', async ({ page }) => {
    const kettle = dbProduct('copper-kettle');
    await page.goto(`/products/${kettle.slug}`);
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page).toHaveURL(new RegExp(`/products/${kettle.slug}`));
    await expect(page.getByTestId('cart-count')).toContainText('2');

    await page.goto('/cart');
    await expect(page.getByTestId('cart-line')).toHaveCount(1);
    await expect(page.getByTestId('cart-total')).toHaveText(usd(2 * kettle.price_minor));
  });

  test('a refused quantity is explained after the redirect', async ({ page }) => {
    const trivet = dbProduct('felt-trivet');
    await page.goto(`/products/${trivet.slug}`);
    await page.getByLabel('Quantity').fill(String(trivet.stock));
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(page.getByRole('alert')).toHaveText(`Only ${trivet.stock} left in stock.`);
  });
});

test('a shopper fills the cart, changes a quantity, and the total matches the database', async ({ page }) => {
  const mug = dbProduct('stoneware-mug');
  const tin = dbProduct('tea-tin');

  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('payments-banner')).toContainText('Simulated payments');
  const reloads = countReloads(page);

  const mugCard = page.getByTestId('product-card').filter({ hasText: mug.name });
  await mugCard.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toHaveText(`Added 1 × ${mug.name} to your cart.`);
  await expect(page.getByTestId('cart-count')).toContainText('1');

  await page.getByLabel(`Quantity of ${tin.name}`).fill('2');
  const tinCard = page.getByTestId('product-card').filter({ hasText: tin.name });
  await tinCard.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toHaveText(`Added 2 × ${tin.name} to your cart.`);
  await expect(page.getByTestId('cart-count')).toContainText('3');

  await page.getByRole('link', { name: /^Cart/ }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await expect(page.getByTestId('cart-total')).toHaveText(usd(mug.price_minor + 2 * tin.price_minor));

  await page.getByLabel(`Quantity of ${mug.name}`).fill('3');
  const mugLine = page.getByTestId('cart-line').filter({ hasText: mug.name });
  await mugLine.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('status')).toHaveText(`${mug.name}: quantity set to 3.`);
  const expected = usd(3 * mug.price_minor + 2 * tin.price_minor);
  await expect(page.getByTestId('cart-total')).toHaveText(expected);
  await expect(page.getByTestId('cart-count')).toContainText('5');
  expect(reloads(), 'forms are handled without a page load once hydrated').toBe(0);

  await page.reload();
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await expect(page.getByTestId('cart-total')).toHaveText(expected);
  await expect(page.getByLabel(`Quantity of ${mug.name}`)).toHaveValue('3');

  await hydrated(page);
  await mugLine.getByRole('button', { name: /^Remove/ }).click();
  await expect(page.getByRole('status')).toHaveText(`Removed ${mug.name} from your cart.`);
  await expect(page.getByTestId('cart-total')).toHaveText(usd(2 * tin.price_minor));
});

test('asking for more than the stock says how many are left', async ({ page }) => {
  const trivet = dbProduct('felt-trivet');
  await page.goto(`/products/${trivet.slug}`);
  await hydrated(page);
  await page.getByLabel('Quantity').fill(String(trivet.stock));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status')).toHaveText(`Added ${trivet.stock} × ${trivet.name} to your cart.`);
  await page.getByLabel('Quantity').fill('1');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('alert')).toHaveText(`Only ${trivet.stock} left in stock.`);
  await expect(page.getByTestId('cart-count')).toContainText(String(trivet.stock));
});

test('adds from two tabs at once both reach the cart', async ({ context }) => {
  const [first, second] = [await context.newPage(), await context.newPage()];
  await first.goto('/');
  await second.goto('/');
  await Promise.all([hydrated(first), hydrated(second)]);
  const board = dbProduct('walnut-board');
  const apron = dbProduct('linen-apron');

  await Promise.all([
    first.getByTestId('product-card').filter({ hasText: board.name }).getByRole('button', { name: 'Add to cart' }).click(),
    second.getByTestId('product-card').filter({ hasText: apron.name }).getByRole('button', { name: 'Add to cart' }).click(),
  ]);
  await expect(first.getByRole('status')).toBeVisible();
  await expect(second.getByRole('status')).toBeVisible();

  await first.goto('/cart');
  await expect(first.getByTestId('cart-line')).toHaveCount(2);
  await expect(first.getByTestId('cart-total')).toHaveText(usd(board.price_minor + apron.price_minor));
});
