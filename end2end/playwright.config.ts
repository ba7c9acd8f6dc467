import { defineConfig, devices } from '@playwright/test';
import { CARD_PORT, E2E_PORT, HEAL_PORT, HOSTED_PORT } from './tests/support/env';
import { SIM_BASE } from './tests/support/sim';

// Debian's Chromium, never a downloaded browser. Playwright starts the built server itself
// (webServer) and always stops it, pass or fail.
export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: process.env.E2E_RESULTS ?? '../target/e2e/results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
  },
  outputDir: '../target/e2e/artifacts',
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: 'bash end2end/serve.sh',
      cwd: '..',
      url: `http://127.0.0.1:${E2E_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The same shop with the Card Element instead of the Payment Element.
      command: 'bash end2end/serve.sh',
      cwd: '..',
      env: { E2E_PORT: CARD_PORT, E2E_DB_NAME: 'shop-card', STRIPE_ELEMENT: 'card' },
      url: `http://127.0.0.1:${CARD_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A shop with short holds and a fast reconciler, for the self-healing tests.
      command: 'bash end2end/serve.sh',
      cwd: '..',
      env: {
        E2E_PORT: HEAL_PORT,
        E2E_DB_NAME: 'shop-heal',
        CHECKOUT_HOLD_SECONDS: '6',
        RECONCILE_INTERVAL_SECONDS: '1',
        RECONCILE_STALE_SECONDS: '1',
        STRIPE_SIM_CONTROL: '1',
      },
      url: `http://127.0.0.1:${HEAL_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The same shop taking cards on Stripe's hosted Checkout page.
      command: 'bash end2end/serve.sh',
      cwd: '..',
      env: { E2E_PORT: HOSTED_PORT, E2E_DB_NAME: 'shop-hosted', STRIPE_UI: 'checkout' },
      url: `http://127.0.0.1:${HOSTED_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The standalone Stripe simulator, for the Stripe.js stand-in's own tests.
      command: 'bash end2end/serve-sim.sh',
      cwd: '..',
      url: `${SIM_BASE}/v3/`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
