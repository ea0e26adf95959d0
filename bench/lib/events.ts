const COUNTRIES = ["US", "IN", "DE", "GB", "FR", "BR", "JP", "ES", "CA", "NL", "IT", "AU"];
const DEVICES = ["desktop", "mobile", "tablet"];

/** A realistic event: many distinct sessions, pages and countries. */
export function sampleEvent(
  index: number,
  sessions = 100_000,
  extra: Record<string, unknown> = {},
) {
  const session = (index * 7919) % sessions;
  return {
    type: "pageview",
    page: `/products/${index % 997}`,
    session_id: `session-${session}`,
    site: `site-${session % 5}`,
    country: COUNTRIES[session % COUNTRIES.length],
    title: "Product page",
    metadata: {
      device: DEVICES[session % DEVICES.length],
      referrer: "https://www.google.com/",
      ...extra,
    },
  };
}
