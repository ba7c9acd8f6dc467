import { test as base, expect, type BrowserContext } from '@playwright/test';

// Every spec imports `test` and `expect` from here, not from @playwright/test: the `csp` fixture
// below runs in every test (auto) and fails it when a page broke the Content-Security-Policy.

/** One `securitypolicyviolation` event, as recorded in the page. */
export interface CspViolation {
  id: string;
  directive: string;
  blocked: string;
  document: string;
  sample: string;
}

/**
 * Runs in every page and frame before the page's own scripts: records each violation in
 * `window.__cspViolations` (for the page to inspect) and reports it to the test at once (a page
 * that navigates away takes its window with it).
 */
function recordCspViolations() {
  const w = window as unknown as {
    __cspViolations: CspViolation[];
    __reportCspViolation?: (v: CspViolation) => Promise<void>;
  };
  w.__cspViolations = [];
  document.addEventListener(
    'securitypolicyviolation',
    (e) => {
      const v: CspViolation = {
        id: `${Date.now()}-${Math.random()}`,
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        document: e.documentURI,
        sample: e.sample,
      };
      w.__cspViolations.push(v);
      if (typeof w.__reportCspViolation === 'function') w.__reportCspViolation(v).catch(() => {});
    },
    true,
  );
}

/** What the `csp` fixture collects; a test that provokes violations on purpose clears them. */
export class CspGuard {
  /** Violations reported by pages (events). */
  readonly violations: CspViolation[] = [];
  /** Chromium's console errors about the policy: also what no event reports (a frame refused by `frame-ancestors`). */
  readonly messages: string[] = [];
  private readonly contexts = new Set<BrowserContext>();
  /** Violations a test provoked on purpose and has cleared. */
  private readonly cleared = new Set<string>();

  async watch(context: BrowserContext) {
    if (this.contexts.has(context)) return;
    this.contexts.add(context);
    await context.exposeBinding('__reportCspViolation', (_source, v: CspViolation) => this.add(v));
    await context.addInitScript(recordCspViolations);
    context.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
        this.messages.push(`${message.location().url}: ${message.text()}`);
      }
    });
  }

  private add(v: CspViolation) {
    if (!this.cleared.has(v.id) && !this.violations.some((seen) => seen.id === v.id)) this.violations.push(v);
  }

  /** Picks up what the open pages recorded but have not reported yet. */
  async collect() {
    for (const context of this.contexts) {
      for (const page of context.pages()) {
        for (const frame of page.frames()) {
          const recorded = await frame
            .evaluate(() => (window as unknown as { __cspViolations?: CspViolation[] }).__cspViolations ?? [])
            .catch(() => [] as CspViolation[]);
          recorded.forEach((v) => this.add(v));
        }
      }
    }
  }

  /** Forgets what was collected so far (after a test has checked the violations it provoked). */
  clear() {
    this.violations.forEach((v) => this.cleared.add(v.id));
    this.violations.length = 0;
    this.messages.length = 0;
  }
}

export const test = base.extend<{ csp: CspGuard }>({
  csp: [
    async ({ browser, context }, use) => {
      const guard = new CspGuard();
      await guard.watch(context);
      // Contexts a test opens itself (a second shopper, the merchant) are watched too.
      const newContext = browser.newContext;
      browser.newContext = async (...args: Parameters<typeof newContext>) => {
        const created = await newContext.apply(browser, args);
        await guard.watch(created);
        return created;
      };
      try {
        await use(guard);
      } finally {
        browser.newContext = newContext;
      }
      await guard.collect();
      expect(guard.violations, 'Content-Security-Policy violations').toEqual([]);
      expect(guard.messages, 'Content-Security-Policy errors in the console').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
