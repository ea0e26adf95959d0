import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import type { Clock } from "../../services/clock.ts";

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

/** Noon on a fixed day: a test starting here is far from the turn of a day and, for a minute, of a minute. */
export const FIXED_NOON = Date.UTC(2026, 5, 1, 12, 0, 0);

/**
 * The machine's clock moved to a chosen instant: it runs at the real pace, so a server and the
 * pages it serves (see `followClock`) read the same time whatever the time of day.
 */
export class ShiftedClock implements Clock {
  private shift: number;
  constructor(start: number = FIXED_NOON) {
    this.shift = start - Date.now();
  }
  now(): number {
    return Date.now() + this.shift;
  }
  advance(ms: number): void {
    this.shift += ms;
  }
  set(ms: number): void {
    this.shift = ms - Date.now();
  }
  /** How far this clock runs ahead of the machine's (ms). */
  get offset(): number {
    return this.shift;
  }
}

/** Runs in the page before its scripts: `Date` reads the machine's time plus a shift (timers stay real). */
function shiftPageDate(shift: number): void {
  const page = window as unknown as { __footfallShift: number; Date: DateConstructor };
  page.__footfallShift = shift;
  const RealDate = page.Date as DateConstructor & { footfallShifted?: boolean };
  if (RealDate.footfallShifted) return;
  const now = () => RealDate.now() + page.__footfallShift;
  function ShiftedDate(this: unknown, ...args: unknown[]) {
    if (new.target === undefined) return new RealDate(now()).toString();
    return args.length === 0
      ? new RealDate(now())
      : new RealDate(...(args as ConstructorParameters<DateConstructor>));
  }
  Object.assign(ShiftedDate, {
    now,
    parse: RealDate.parse,
    UTC: RealDate.UTC,
    footfallShifted: true,
  });
  ShiftedDate.prototype = RealDate.prototype;
  page.Date = ShiftedDate as unknown as DateConstructor;
}

/**
 * Makes the context's pages read `clock` through `Date`, those open now and those loaded later.
 * Call it again after moving the clock.
 */
export async function followClock(context: BrowserContext, clock: ShiftedClock): Promise<void> {
  const shift = clock.offset;
  // Init scripts run in the order added: the latest shift wins on every later navigation.
  await context.addInitScript(shiftPageDate, shift);
  await Promise.all(context.pages().map((page) => page.evaluate(shiftPageDate, shift)));
}
