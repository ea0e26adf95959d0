import Bowser from "bowser";

/** What a User-Agent says of the visitor's software; a field is absent when it says nothing. */
export interface UserAgentInfo {
  browser?: string;
  browser_version?: string;
  os?: string;
  os_version?: string;
  /** `desktop`, `mobile` or `tablet` (the tracker's classes), when the UA tells. */
  device?: string;
}

const DEVICE_CLASSES = new Set(["desktop", "mobile", "tablet"]);

/** The major version: "124.0.6367.91" -> "124"; Windows' "NT 10.0" is named "10" by bowser. */
function major(version: string | undefined): string | undefined {
  const match = version?.match(/\d+/);
  return match ? match[0] : undefined;
}

export function parseUserAgent(userAgent: string): UserAgentInfo {
  const parser = Bowser.getParser(userAgent);
  const browser = parser.getBrowser();
  const os = parser.getOS();
  const device = parser.getPlatformType(true);
  const info: UserAgentInfo = {};
  if (browser.name) info.browser = browser.name;
  const browserVersion = major(browser.version);
  if (browserVersion) info.browser_version = browserVersion;
  if (os.name) info.os = os.name;
  const osVersion =
    os.name === "Windows" ? (os.versionName ?? major(os.version)) : major(os.version);
  if (osVersion) info.os_version = osVersion;
  if (DEVICE_CLASSES.has(device)) info.device = device;
  return Object.freeze(info);
}

/**
 * Parses User-Agents once each: a site's visitors share a few hundred strings, and parsing is
 * the costly part. Bounded: past `capacity` the oldest entry is forgotten (a Map keeps order).
 */
export class UserAgentCache {
  private readonly entries = new Map<string, UserAgentInfo>();

  constructor(
    private readonly capacity = 1000,
    // Longer strings are parsed but not kept: the cache holds at most capacity × this many characters.
    private readonly maxKeyLength = 512,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  parse(userAgent: string): UserAgentInfo {
    const known = this.entries.get(userAgent);
    if (known !== undefined) return known;
    const info = parseUserAgent(userAgent);
    if (userAgent.length > this.maxKeyLength) return info;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(userAgent, info);
    return info;
  }
}
