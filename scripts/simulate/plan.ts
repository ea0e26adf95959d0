/** Realistic visits for the traffic simulator: a seeded random source and a session planner. */

export type Random = () => number;

/** mulberry32: small, fast and seeded, so a run can be repeated exactly. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(random: Random, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}

const COUNTRIES = [
  ["US", 30],
  ["IN", 12],
  ["DE", 8],
  ["GB", 7],
  ["FR", 6],
  ["BR", 5],
  ["JP", 4],
  ["ES", 4],
  ["CA", 4],
  ["NL", 3],
  ["IT", 3],
  ["AU", 3],
  ["MX", 3],
  ["PL", 2],
  ["SE", 2],
  ["KR", 2],
  ["NG", 1],
  ["ZA", 1],
] as const;
const DEVICES = [
  ["desktop", 55],
  ["mobile", 40],
  ["tablet", 5],
] as const;
const REFERRERS = [
  [undefined, 40],
  ["https://www.google.com/", 35],
  ["https://news.ycombinator.com/", 10],
  ["https://twitter.com/", 10],
  ["https://www.bing.com/", 5],
] as const;
/** Landing URLs' campaign tags, on some visits (the rest carry none). */
type Campaign = Partial<Record<"utm_source" | "utm_medium" | "utm_campaign" | "utm_term", string>>;
const CAMPAIGNS: readonly (readonly [Campaign | undefined, number])[] = [
  [undefined, 80],
  [{ utm_source: "newsletter", utm_medium: "email", utm_campaign: "spring-sale" }, 10],
  [{ utm_source: "twitter", utm_medium: "social", utm_campaign: "launch" }, 6],
  [{ utm_source: "google", utm_medium: "cpc", utm_campaign: "brand", utm_term: "footfall" }, 4],
];
const TITLES: Record<string, string> = {
  "/": "Home",
  "/products": "Products",
  "/pricing": "Pricing",
  "/about": "About",
  "/cart": "Cart",
  "/checkout": "Checkout",
};
const SLUGS = ["launch", "realtime-analytics", "privacy", "bun-websockets", "changelog"];

function nextPage(random: Random, current: string | undefined): string {
  if (current === "/cart" && random() < 0.5) return "/checkout";
  return weighted(random, [
    ["/", 15],
    ["/products", 20],
    [`/products/${1 + Math.floor(random() * 40)}`, 25],
    ["/pricing", 12],
    [`/blog/${SLUGS[Math.floor(random() * SLUGS.length)]}`, 12],
    ["/about", 6],
    ["/cart", 8],
  ]);
}

export interface PlannedEvent {
  /** Milliseconds after the session starts. */
  at: number;
  event: Record<string, unknown> & { type: string; page: string; session_id: string };
}

/**
 * One visitor's session: a third leave after one page (a bounce), the rest view 2 to 8 pages
 * with pauses; sometimes a click or a custom event; then session_end. Some land from a campaign.
 */
export function planSession(
  random: Random,
  options: { id: string; site: string; pauseMs?: number },
): PlannedEvent[] {
  const pauseMs = options.pauseMs ?? 4000;
  const country = weighted(random, COUNTRIES);
  const device = weighted(random, DEVICES);
  const referrer = weighted(random, REFERRERS);
  const campaign = weighted(random, CAMPAIGNS);
  const pages = random() < 0.35 ? 1 : 2 + Math.floor(random() * 7);
  const plan: PlannedEvent[] = [];
  let at = 0;
  let page: string | undefined;
  const base = (type: string, current: string) => ({
    type,
    page: current,
    session_id: options.id,
    site: options.site,
    country,
  });
  for (let index = 0; index < pages; index++) {
    page = nextPage(random, page);
    const metadata: Record<string, string> = { device };
    if (index === 0 && referrer) metadata.referrer = referrer;
    const title = TITLES[page] ?? (page.startsWith("/blog/") ? "Blog" : "Product");
    const landing = index === 0 && campaign ? campaign : {};
    plan.push({ at, event: { ...base("pageview", page), title, ...landing, metadata } });
    if (random() < 0.25)
      plan.push({
        at: at + pauseMs * 0.3,
        event: { ...base("click", page), metadata: { device } },
      });
    if (page === "/cart" || random() < 0.05) {
      const name = page === "/cart" ? "add_to_cart" : "signup";
      plan.push({
        at: at + pauseMs * 0.5,
        event: {
          ...base("custom", page),
          name,
          metadata: { device, plan: random() < 0.3 ? "pro" : "free" },
        },
      });
    }
    at += pauseMs * (0.5 + random());
  }
  plan.push({ at, event: base("session_end", page ?? "/") });
  return plan;
}
