/**
 * The README's picture of the dashboard (docs/dashboard.png): a server with ten minutes of scripted visitors on a clock
 * of its own, captured in headless Chromium.
 *
 *   bun run screenshot                  writes docs/dashboard.png
 *   bun run screenshot -- --out x.png   writes elsewhere
 *
 * The clock starts at a fixed noon, so the picture does not depend on when it is taken. It reuses
 * the tests' helpers: the server they start and the Chromium they drive (/usr/bin/chromium, or
 * CHROMIUM_PATH).
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  FIXED_NOON,
  followClock,
  hasChromium,
  launchBrowser,
  ShiftedClock,
} from "../tests/support/browser.ts";
import { pageview, startTestServer, TEST_TOKEN } from "../tests/support/server.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(import.meta.dir, "..", "docs", "dashboard.png") },
  },
});
const out = values.out as string;
if (!hasChromium) {
  console.error(
    "No Chromium to take the picture with (apt-get install chromium, or set CHROMIUM_PATH).",
  );
  process.exit(1);
}

const MINUTE = 60_000;
const PAGES = ["/", "/products", "/products/42", "/pricing", "/blog/launch", "/checkout", "/docs"];
const COUNTRIES = ["India", "United States", "Germany", "Brazil", "Japan", "Spain"];
const DEVICES = ["mobile", "desktop", "tablet"];
/** Visitors in each of the ten minutes up to noon: a rise that crosses the spike threshold (30). */
const PER_MINUTE = [12, 15, 14, 19, 24, 22, 31, 36, 28, 33];

const clock = new ShiftedClock(FIXED_NOON - (PER_MINUTE.length - 1) * MINUTE);
const server = startTestServer({ ALERT_THRESHOLD: "30" }, { clock });
const browser = await launchBrowser();
try {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    // The same clock face wherever it is taken.
    locale: "en-US",
    timezoneId: "UTC",
  });
  await followClock(context, clock);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.url}/#token=${TEST_TOKEN}`);
  await page.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();

  // Each minute's visitors arrive spread over it, as they would live.
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (const [index, visitors] of PER_MINUTE.entries()) {
    const minuteStart = FIXED_NOON - (PER_MINUTE.length - 1 - index) * MINUTE;
    const events = Array.from({ length: visitors }, (_, n) => {
      const session = (index * 7 + n) % 60;
      return pageview(`visitor-${session}`, PAGES[random(PAGES.length)], {
        country: COUNTRIES[session % COUNTRIES.length],
        metadata: { device: DEVICES[session % DEVICES.length] },
      });
    });
    for (let slice = 0; slice < 5; slice++) {
      clock.set(minuteStart + slice * 10_000);
      await followClock(context, clock);
      const part = events.filter((_, n) => n % 5 === slice);
      if (part.length > 0) await server.postEvent(part);
    }
  }

  const total = PER_MINUTE.reduce((sum, n) => sum + n, 0).toLocaleString("en-US");
  await page.getByTestId("pageviews-today").filter({ hasText: total }).waitFor();
  await page.getByTestId("session-row").first().click();
  await page.getByTestId("journey-page").first().waitFor();
  await page.locator('[data-testid="alert"][data-kind="spike"]').first().waitFor();
  // Two animation frames: whatever the last frames prompted is drawn.
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
  if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join("; ")}`);

  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`Dashboard captured: ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
