import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';

/** The Chromium the browser specs drive: Debian's, unless `CHROMIUM_PATH` says otherwise. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a machine without a network beyond loopback, as root: no
 * background connections (each would be refused), no component updates, no GPU. Playwright adds
 * a fresh profile (`--user-data-dir` in a new temporary folder), `--headless` and, with
 * `chromiumSandbox: false`, `--no-sandbox`.
 */
const CHROMIUM_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const missing = existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH}`;

/**
 * `describe` for specs that drive a real browser. Without one they are skipped locally, with one
 * printed reason; with `CI=true` a missing browser is a failure (`.ci/ensure-chromium` installs
 * it), never a skip.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a browser to run in', () => {
        throw new Error(`CI=true and ${missing}: refusing to skip the browser tests`);
      });
    });
    return;
  }
  process.stderr.write(
    `\nBrowser tests SKIPPED: ${missing} (apt-get install chromium, or set CHROMIUM_PATH).\n\n`,
  );
  describe.skip(name, body);
}

/** A headless Chromium, as `describeInBrowser` expects it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
  });
}

/** What a page said that a test must see: uncaught errors and policy violations. */
export interface PageTrouble {
  readonly errors: string[];
  readonly violations: string[];
}

/** Records `page`'s uncaught errors and Content-Security-Policy or Trusted Types violations. */
export function watchForTrouble(page: Page): PageTrouble {
  const trouble: PageTrouble = { errors: [], violations: [] };
  page.on('pageerror', (error) => trouble.errors.push(error.message));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Trusted ?Type|TrustedHTML|TrustedScript/i.test(text)) {
      trouble.violations.push(text);
    }
  });
  return trouble;
}
