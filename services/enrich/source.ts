/** The source of a visit with no referrer, or referred by the site itself. */
export const DIRECT = "Direct / None";

/**
 * Well-known referrers by name: a small list kept by hand. A host matches an entry when it is
 * the entry's domain or a subdomain of it; `google.` entries match every Google country domain.
 */
const KNOWN_SOURCES: readonly [pattern: RegExp, name: string][] = [
  [/(^|\.)google\.[a-z]{2,3}(\.[a-z]{2})?$/, "Google"],
  [/(^|\.)bing\.com$/, "Bing"],
  [/(^|\.)duckduckgo\.com$/, "DuckDuckGo"],
  [/(^|\.)search\.yahoo\.com$|(^|\.)yahoo\.com$/, "Yahoo!"],
  [/(^|\.)yandex\.[a-z]{2,3}$|(^|\.)ya\.ru$/, "Yandex"],
  [/(^|\.)baidu\.com$/, "Baidu"],
  [/(^|\.)ecosia\.org$/, "Ecosia"],
  [/(^|\.)search\.brave\.com$/, "Brave Search"],
  [/(^|\.)qwant\.com$/, "Qwant"],
  [/(^|\.)facebook\.com$|(^|\.)fb\.com$|^l\.facebook\.com$/, "Facebook"],
  [/(^|\.)instagram\.com$/, "Instagram"],
  [/(^|\.)twitter\.com$|^t\.co$|(^|\.)x\.com$/, "Twitter"],
  [/(^|\.)linkedin\.com$|^lnkd\.in$/, "LinkedIn"],
  [/(^|\.)reddit\.com$/, "Reddit"],
  [/(^|\.)youtube\.com$|^youtu\.be$/, "YouTube"],
  [/(^|\.)pinterest\.[a-z.]+$/, "Pinterest"],
  [/(^|\.)tiktok\.com$/, "TikTok"],
  [/^news\.ycombinator\.com$/, "Hacker News"],
  [/(^|\.)github\.com$/, "GitHub"],
  [/(^|\.)mastodon\.social$/, "Mastodon"],
  [/(^|\.)bsky\.app$/, "Bluesky"],
];

/**
 * `compute` remembered per key: a site's visitors come from a few referrers and hosts, each then
 * parsed (a URL) or tried on every pattern once. Bounded: past `kept` keys it starts over.
 */
function remembered<T>(kept: number, compute: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    if (known.has(key)) return known.get(key) as T;
    const value = compute(key);
    if (known.size >= kept) known.clear();
    known.set(key, value);
    return value;
  };
}

const withoutWww = (host: string) => (host.startsWith("www.") ? host.slice(4) : host);

/** A referrer's host in lower case without `www.`, or null when it is not a URL with a host. */
const bareHostOf = remembered(1000, (referrer): string | null => {
  try {
    const host = new URL(referrer).hostname.toLowerCase();
    return host === "" ? null : withoutWww(host);
  } catch {
    return null;
  }
});

/** A site's own host as a referrer's is compared with it: lower case, no port, no `www.`. */
const bareSiteHostOf = remembered(1000, (site) =>
  withoutWww(site.toLowerCase().replace(/:\d+$/, "")),
);

/** A known referrer's name for a host (without `www.`), or the host itself. */
const sourceNameOf = remembered(
  1000,
  (bare) => KNOWN_SOURCES.find(([pattern]) => pattern.test(bare))?.[1] ?? bare,
);

/**
 * The visit's source from its referrer: a known referrer's name, else its host (without
 * `www.`); `Direct / None` with no referrer, one that is not a URL, or the site's own host.
 */
export function sourceOf(referrer: string | undefined, siteHosts: readonly string[]): string {
  if (!referrer) return DIRECT;
  const bare = bareHostOf(referrer);
  if (bare === null) return DIRECT;
  if (siteHosts.some((site) => bareSiteHostOf(site) === bare)) return DIRECT;
  return sourceNameOf(bare);
}
