import * as path from 'node:path';

/** The port the end-to-end server listens on (not 3000, so a running dev server is left alone). */
export const E2E_PORT = process.env.E2E_PORT ?? '3100';
/** The database the end-to-end server uses: made afresh by serve.sh for every run. */
export const E2E_DB = path.resolve(__dirname, '../../../target/e2e/shop.db');
/** A second shop configured with the Card Element (STRIPE_ELEMENT=card). */
export const CARD_PORT = process.env.E2E_CARD_PORT ?? '3101';
/** The merchant's password on the end-to-end servers (serve.sh hashes it at start). */
export const ADMIN_PASSWORD = 'e2e merchant password';
/** A shop with a 6-second hold and a reconciler that runs every second (self-healing tests). */
export const HEAL_PORT = process.env.E2E_HEAL_PORT ?? '3102';
export const HEAL_DB = path.resolve(__dirname, '../../../target/e2e/shop-heal.db');
/** A shop that takes cards on Stripe's hosted Checkout page (STRIPE_UI=checkout). */
export const HOSTED_PORT = process.env.E2E_HOSTED_PORT ?? '3103';
export const HOSTED_DB = path.resolve(__dirname, '../../../target/e2e/shop-hosted.db');
