import { expect, type APIRequestContext, type FrameLocator, type Page } from '@playwright/test';

/** The offline Stripe simulator (standalone binary) the Stripe.js stand-in talks to. */
export const SIM_BASE = process.env.SIM_BASE ?? 'http://127.0.0.1:12111';
export const SIM_SK = 'sk_test_e2e_simulator_0123456789';
export const SIM_PK = 'pk_test_e2e_simulator_0123456789';

export interface SimPaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  client_secret: string;
  [key: string]: unknown;
}

/** Creates a PaymentIntent server-side (secret key), as the shop's server would. */
export async function createPaymentIntent(request: APIRequestContext, amount = 2000): Promise<SimPaymentIntent> {
  const res = await request.post(`${SIM_BASE}/v1/payment_intents`, {
    headers: { Authorization: `Bearer ${SIM_SK}` },
    form: {
      amount: String(amount),
      currency: 'usd',
      'automatic_payment_methods[enabled]': 'true',
    },
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as SimPaymentIntent;
}

/** The Element's iframe: the same selector matches real Stripe's Payment Element and Card Element. */
export function elementFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[title*="payment input"]');
}

/** Types card details into the Element iframe by input name (number, expiry, cvc, postalCode). */
export async function fillCard(
  page: Page,
  number: string,
  { expiry = '12 / 34', cvc = '123', postal = '12345' }: { expiry?: string; cvc?: string; postal?: string } = {},
) {
  const frame = elementFrame(page);
  await frame.locator('input[name="number"]').fill(number);
  await frame.locator('input[name="expiry"]').fill(expiry);
  await frame.locator('input[name="cvc"]').fill(cvc);
  const zip = frame.locator('input[name="postalCode"]');
  if ((await zip.count()) > 0 && (await zip.isVisible())) await zip.fill(postal);
}

/** The simulator's demo page for the stand-in, with the given query parameters. */
export function demoUrl(params: Record<string, string>): string {
  const q = new URLSearchParams({ pk: SIM_PK, ...params });
  return `${SIM_BASE}/_sim/demo.html?${q.toString()}`;
}
