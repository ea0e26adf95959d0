import { isbot } from "isbot";

/**
 * True for a crawler, a headless browser or an HTTP library (isbot's list), and for a request
 * with no User-Agent at all: a real browser always sends one.
 */
export function isBotUserAgent(userAgent: string | undefined): boolean {
  const trimmed = userAgent?.trim() ?? "";
  return trimmed === "" || isbot(trimmed);
}
