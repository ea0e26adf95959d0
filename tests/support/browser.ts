import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium; Playwright's own browser download does not work on these machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);

/** CI must run the browser tests: there a missing Chromium is a failure, never a quiet skip. */
export const browserRequired = Boolean(process.env.CI) && process.env.CI !== "false";

if (!hasChromium && browserRequired) {
  throw new Error(
    `CI is set but there is no Chromium at ${CHROMIUM_PATH}: the browser tests cannot be skipped in CI (apt-get install chromium, or set CHROMIUM_PATH).`,
  );
}

if (!hasChromium) {
  console.warn(
    `Browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH). CI installs it.`,
  );
}

/** Headless Chromium with the flags this sandbox needs (no sandbox as root, no background network). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
