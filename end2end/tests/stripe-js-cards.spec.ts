import { expect, test } from './support/test';
import { createPaymentIntent, demoUrl, fillCard } from './support/sim';

// Every test card of FACTS §6 through the Stripe.js stand-in in a real browser: type the number
// into the Payment Element, confirm, and see what a shopper would see.

const DECLINED = 'Your card was declined.';

const outcomes: Array<[string, { status?: string; error?: string; challenge?: 'Complete' }]> = [
  ['4242424242424242', { status: 'succeeded' }],
  ['5555555555554444', { status: 'succeeded' }],
  ['4000000000000002', { error: DECLINED }],
  ['4000000000009995', { error: 'Your card has insufficient funds.' }],
  ['4000000000009987', { error: DECLINED }],
  ['4000000000009979', { error: DECLINED }],
  ['4000000000000069', { error: 'Your card has expired.' }],
  ['4000000000000127', { error: "Your card's security code is incorrect." }],
  ['4000000000000119', { error: 'An error occurred while processing your card. Try again in a little bit.' }],
  ['4000002500003155', { status: 'succeeded', challenge: 'Complete' }],
  ['4000002760003184', { status: 'succeeded', challenge: 'Complete' }],
  ['4000000000003220', { status: 'succeeded', challenge: 'Complete' }],
  ['4000000000003063', { status: 'succeeded', challenge: 'Complete' }],
  ['4000008400001629', { error: DECLINED, challenge: 'Complete' }],
  ['4000008260003178', { error: 'Your card has insufficient funds.', challenge: 'Complete' }],
  ['4000000000000259', { status: 'succeeded' }],
  ['4000000000005126', { status: 'succeeded' }],
  ['4000009900000004', { status: 'processing' }],
];

for (const [number, expected] of outcomes) {
  test(`card ${number}`, async ({ page, request }) => {
    const pi = await createPaymentIntent(request);
    await page.goto(demoUrl({ client_secret: pi.client_secret }));
    await fillCard(page, number);
    await page.getByRole('button', { name: 'Pay' }).click();
    if (expected.challenge) {
      const challenge = page.frameLocator('iframe[title="3D Secure challenge"]');
      await challenge.getByRole('button', { name: `${expected.challenge} authentication` }).click();
    }
    if (expected.status) {
      await expect(page.locator('#result')).toHaveText(expected.status);
    } else {
      await expect(page.locator('#error')).toHaveText(expected.error!);
    }
  });
}
