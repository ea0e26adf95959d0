import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { Clock } from "../clock.ts";
import { CountryLookup, isoCountry } from "./country.ts";
import { sourceOf } from "./source.ts";
import { UserAgentCache } from "./user-agent.ts";
import { type SaltSource, VisitorIds } from "./visitor-id.ts";

/** What the request itself says of the visitor. The IP is used for lookups here, never kept. */
export interface VisitorRequest {
  ip: string;
  userAgent: string;
  /** A trusted proxy's country header (CF-IPCountry and the like), when configured. */
  proxyCountry?: string;
}

/**
 * Fills in, on events from the tracker endpoint, what the request tells of the visitor: country
 * (region and city with a City database), browser, OS, device class, a cookieless visitor id and
 * the source. API clients' events are never enriched: their IP and User-Agent are a server's.
 */
export class VisitorEnricher {
  private readonly userAgents = new UserAgentCache();
  private readonly visitorIds: VisitorIds;
  private readonly countries: CountryLookup;
  private botsFiltered = 0;

  /** `salts`: the day's salt shared by a cluster's instances (its own random one otherwise). */
  constructor(options: { clock: Clock; geoipDatabase?: string; salts?: SaltSource }) {
    this.visitorIds = new VisitorIds(options.clock, undefined, options.salts);
    this.countries = new CountryLookup(options.geoipDatabase);
  }

  /** Opens the IP database now, so a bad GEOIP_DATABASE stops start-up. */
  open(): void {
    this.countries.open();
  }

  /** True, and counted as `count` filtered events, when the User-Agent is a bot's or empty. */
  refuseBot(userAgent: string, count: number): boolean {
    if (!this.userAgents.isBot(userAgent)) return false;
    this.botsFiltered += count;
    return true;
  }

  get bots_filtered(): number {
    return this.botsFiltered;
  }

  enrich(event: VisitorEvent, request: VisitorRequest): void {
    this.forRequest(request)(event);
  }

  /**
   * Enriches the events of one request: what the request alone decides (the location, the
   * software) is looked up once, what depends on the event (visitor id per site, source) per event.
   */
  forRequest(request: VisitorRequest): (event: VisitorEvent) => void {
    const location = this.countries.locate(request.ip);
    const country = isoCountry(request.proxyCountry) ?? location.country;
    const agent = this.userAgents.parse(request.userAgent);
    return (event) => {
      if (event.country === "unknown" && country) event.country = country;
      if (location.region) event.region = location.region;
      if (location.city) event.city = location.city;

      if (agent.browser) event.browser = agent.browser;
      if (agent.browser_version) event.browser_version = agent.browser_version;
      if (agent.os) event.os = agent.os;
      if (agent.os_version) event.os_version = agent.os_version;
      if (event.device === "unknown" && agent.device) event.device = agent.device;

      event.visitor_id = this.visitorIds.idFor(event.site, request.ip, request.userAgent);
      const siteHosts = event.host === undefined ? [event.site] : [event.host, event.site];
      event.source = sourceOf(event.referrer, siteHosts);
    };
  }
}
