import Bowser from "bowser";
import { isBotUserAgent } from "./bots.ts";

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
  // bowser throws on an empty string; such a request is a bot's and never enriched anyway.
  if (userAgent.trim() === "") return Object.freeze({});
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

interface CachedAgent {
  info: UserAgentInfo;
  bot: boolean;
}

/**
 * Parses User-Agents, and tells bots, once each: a site's visitors share a few hundred strings,
 * and parsing and isbot's pattern are the costly parts (a few µs a request). Bounded: past
 * `capacity` the oldest entry is forgotten (a Map keeps order).
 */
export class UserAgentCache {
  private readonly entries = new Map<string, CachedAgent>();

  constructor(
    private readonly capacity = 1000,
    // Longer strings are parsed but not kept: the cache holds at most capacity × this many characters.
    private readonly maxKeyLength = 512,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  parse(userAgent: string): UserAgentInfo {
    return this.lookup(userAgent).info;
  }

  /** isBotUserAgent's answer, cached with the parse. */
  isBot(userAgent: string): boolean {
    return this.lookup(userAgent).bot;
  }

  private lookup(userAgent: string): CachedAgent {
    const known = this.entries.get(userAgent);
    if (known !== undefined) return known;
    const agent = { info: parseUserAgent(userAgent), bot: isBotUserAgent(userAgent) };
    if (userAgent.length > this.maxKeyLength) return agent;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(userAgent, agent);
    return agent;
  }
}
