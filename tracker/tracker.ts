/**
 * The script websites embed:
 *   <script defer src="https://footfall.example/tracker.js" data-site="example.com"></script>
 * Built by routes/tracker.ts into one minified IIFE and served at /tracker.js.
 */
import { deviceClass } from "./device.ts";
import { randomSessionId, resumeSession, SESSION_KEY } from "./session.ts";

type Scalar = string | number | boolean | null;
type EventType = "pageview" | "custom" | "session_end";
type Footfall = ((name: string, properties?: Record<string, unknown>) => void) & {
  /** Calls made through the page's stub before this script ran. */
  q?: ArrayLike<unknown>[];
};

// The schema's limits (schemas/event.ts): an event over them would be refused whole.
const MAX_PROPERTIES = 30;
const MAX_STRING = 1024;
const MAX_KEY_LENGTH = 64;
const MAX_CAMPAIGN = 256;
// The landing URL's campaign parameters, the only part of its query string that is sent.
const CAMPAIGN = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

const page = window as unknown as { footfall?: Footfall };
// Only set while this script first runs, so it is read now.
const script = (document.currentScript ??
  document.querySelector('script[src$="/tracker.js"]')) as HTMLScriptElement | null;
const option = (name: string) => script?.getAttribute(`data-${name}`);
const privacy = navigator as Navigator & { globalPrivacyControl?: boolean };

if (
  option("respect-dnt") != null &&
  (privacy.doNotTrack === "1" || privacy.globalPrivacyControl === true)
) {
  // Opted out: nothing is sent, and the page's calls still work.
  page.footfall = () => {};
} else {
  start();
}

function start(): void {
  const endpoint = option("api") || new URL("/api/collect", script?.src || location.href).href;
  const site = option("site") || location.hostname;
  const withHash = option("hash") != null;
  const device = deviceClass(navigator.userAgent, screen.width, navigator.maxTouchPoints);
  // Used when localStorage is unavailable (disabled, or a sandboxed frame): one session per tab.
  let memory: string | null = null;
  let lastPage: string | undefined;
  let landing = true;

  const currentPage = () => location.pathname + (withHash ? location.hash : "");

  /** The shared session id; `activity` refreshes its last-activity time. */
  const session = (activity: boolean): string | undefined => {
    let stored = memory;
    try {
      stored = localStorage.getItem(SESSION_KEY);
    } catch {}
    const state = resumeSession(stored, Date.now(), randomSessionId);
    if (!activity) return state.isNew ? undefined : state.id;
    memory = state.stored;
    try {
      localStorage.setItem(SESSION_KEY, state.stored);
    } catch {}
    return state.id;
  };

  const send = (
    type: EventType,
    metadata: Record<string, Scalar>,
    name?: string,
    activity = true,
    campaign: Record<string, string> = {},
  ): void => {
    const session_id = session(activity);
    if (session_id === undefined) return;
    const body = JSON.stringify({
      type,
      name,
      page: currentPage(),
      session_id,
      site,
      title: document.title.slice(0, 512) || undefined,
      metadata: { ...metadata, device },
      ...campaign,
    });
    // A string beacon goes as text/plain: no CORS preflight, and it survives the page closing.
    if (!navigator.sendBeacon?.(endpoint, body)) {
      fetch(endpoint, {
        method: "POST",
        body,
        keepalive: true,
        headers: { "content-type": "text/plain" },
      }).catch(() => {});
    }
  };

  const pageview = (): void => {
    const path = currentPage();
    // Routers often call replaceState without moving: only a new page is a pageview.
    if (path === lastPage) return;
    lastPage = path;
    const metadata: Record<string, Scalar> = {};
    // Only the landing pageview carries the referrer: later SPA pages were not referred by it.
    if (landing && document.referrer && new URL(document.referrer).host !== location.host) {
      metadata.referrer = document.referrer.slice(0, 2048);
    }
    const campaign: Record<string, string> = {};
    if (landing) {
      const query = new URLSearchParams(location.search);
      const read = (name: string) => {
        const value = query.get(name)?.trim();
        // What the schema would refuse (controls, invisible characters) is left out, not the event.
        return value && !/[\p{Cc}\p{Cf}]/u.test(value) ? value.slice(0, MAX_CAMPAIGN) : undefined;
      };
      for (const field of CAMPAIGN) {
        const value = read(field);
        if (value) campaign[field] = value;
      }
      // `ref` and `source` are the short forms of utm_source some links use.
      const short = read("ref") || read("source");
      if (short && !campaign.utm_source) campaign.utm_source = short;
    }
    landing = false;
    send("pageview", metadata, undefined, true, campaign);
  };

  const custom = (name: unknown, properties?: unknown): void => {
    const metadata: Record<string, Scalar> = {};
    let count = 0;
    for (const [key, value] of Object.entries((properties ?? {}) as Record<string, unknown>)) {
      if (
        !isScalar(value) ||
        key === "device" ||
        key === "referrer" ||
        key.length > MAX_KEY_LENGTH ||
        count >= MAX_PROPERTIES
      ) {
        continue;
      }
      metadata[key] = typeof value === "string" ? value.slice(0, MAX_STRING) : value;
      count++;
    }
    send("custom", metadata, String(name).slice(0, 128));
  };

  for (const method of ["pushState", "replaceState"] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      pageview();
    };
  }
  window.addEventListener("popstate", pageview);
  if (withHash) window.addEventListener("hashchange", pageview);
  window.addEventListener("pageshow", (event) => {
    // Back from the back-forward cache: the page is seen again, though no script re-ran.
    if (event.persisted) {
      lastPage = undefined;
      pageview();
    }
  });
  window.addEventListener("pagehide", (event) => {
    // persisted: the page went into the back-forward cache and may come back.
    if (!event.persisted) send("session_end", {}, undefined, false);
  });

  const queued = page.footfall?.q ?? [];
  page.footfall = custom;
  pageview();
  for (const args of Array.from(queued)) custom(args[0], args[1]);
}

/** What the schema accepts as a property value; objects and functions are left out. */
function isScalar(value: unknown): value is Scalar {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}
