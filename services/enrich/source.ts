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

function hostOf(referrer: string): string | undefined {
  try {
    const host = new URL(referrer).hostname.toLowerCase();
    return host === "" ? undefined : host;
  } catch {
    return undefined;
  }
}

const withoutWww = (host: string) => (host.startsWith("www.") ? host.slice(4) : host);

/**
 * The visit's source from its referrer: a known referrer's name, else its host (without
 * `www.`); `Direct / None` with no referrer, one that is not a URL, or the site's own host.
 */
export function sourceOf(referrer: string | undefined, siteHosts: readonly string[]): string {
  if (!referrer) return DIRECT;
  const host = hostOf(referrer);
  if (host === undefined) return DIRECT;
  const bare = withoutWww(host);
  if (siteHosts.some((site) => withoutWww(site.toLowerCase().replace(/:\d+$/, "")) === bare)) {
    return DIRECT;
  }
  return sourceNameOf(bare);
}

/** Referrer hosts already named: a site's visitors come from a few hosts, each tried on every pattern once. */
const namedHosts = new Map<string, string>();
const NAMED_HOSTS_KEPT = 1000;

/** A known referrer's name for a host (without `www.`), or the host itself. */
function sourceNameOf(bare: string): string {
  let name = namedHosts.get(bare);
  if (name === undefined) {
    name = KNOWN_SOURCES.find(([pattern]) => pattern.test(bare))?.[1] ?? bare;
    if (namedHosts.size >= NAMED_HOSTS_KEPT) namedHosts.clear();
    namedHosts.set(bare, name);
  }
  return name;
}
