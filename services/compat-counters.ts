import type { VisitorEvent } from "../interfaces/analytics.ts";
import { OTHER } from "./key-cap.ts";
import type { EventStep, Projection } from "./pipeline/step.ts";

interface CustomerTally {
  visits: number;
  devices: Set<string>;
}

interface SiteTally {
  visits: number;
  customers: Set<string>;
}

const TWO_LETTER_CODE = /^[A-Za-z]{2}$/;

/**
 * The counters the two earlier systems answered with, a projection of the log like the others:
 * visits by customer and site across devices (hit counter), visits by country code (country
 * tracker). Distinct customers and devices remembered are capped at `maxKeys` in all.
 */
export class CompatCounters implements Projection {
  readonly name = "compat";
  private readonly customers = new Map<string, CustomerTally>();
  private readonly sites = new Map<string, SiteTally>();
  private readonly countries = new Map<string, number>();
  private remembered = 0;

  constructor(private readonly maxKeys: number) {}

  apply(step: EventStep): void {
    this.count(step.committed.event);
  }

  private count(event: VisitorEvent): void {
    if (event.type !== "pageview") return;
    if (TWO_LETTER_CODE.test(event.country)) {
      const code = event.country.toLowerCase();
      this.countries.set(code, (this.countries.get(code) ?? 0) + 1);
    }
    if (event.user_id === undefined) return;
    const device = String(event.metadata.device_id ?? event.session_id);
    const site = this.siteTally(event.site);
    site.visits++;
    if (!site.customers.has(event.user_id) && this.hasRoom()) {
      site.customers.add(event.user_id);
      this.remembered++;
    }
    const customer = this.customerTally(event.site, event.user_id);
    if (!customer) return;
    customer.visits++;
    if (!customer.devices.has(device) && this.hasRoom()) {
      customer.devices.add(device);
      this.remembered++;
    }
  }

  customerVisits(site: string, customerId: string): { count: number; devices: number } {
    const tally = this.customers.get(customerKey(site, customerId));
    return { count: tally?.visits ?? 0, devices: tally?.devices.size ?? 0 };
  }

  siteVisits(site: string): { count: number; unique_customers: number } {
    const tally = this.sites.get(site);
    return { count: tally?.visits ?? 0, unique_customers: tally?.customers.size ?? 0 };
  }

  countryVisits(): Record<string, number> {
    return Object.fromEntries(this.countries);
  }

  countryCount(code: string): number {
    return this.countries.get(code.toLowerCase()) ?? 0;
  }

  fill() {
    return { remembered: this.remembered, max: this.maxKeys };
  }

  exportState(): CompatCountersState {
    return {
      customers: [...this.customers].map(([key, tally]) => [key, tally.visits, [...tally.devices]]),
      sites: [...this.sites].map(([key, tally]) => [key, tally.visits, [...tally.customers]]),
      countries: [...this.countries],
      remembered: this.remembered,
    };
  }

  importState(state: CompatCountersState | undefined): void {
    if (!state) return;
    this.customers.clear();
    this.sites.clear();
    this.countries.clear();
    for (const [key, visits, devices] of state.customers) {
      this.customers.set(key, { visits, devices: new Set(devices) });
    }
    for (const [key, visits, customers] of state.sites) {
      this.sites.set(key, { visits, customers: new Set(customers) });
    }
    for (const [code, visits] of state.countries) this.countries.set(code, visits);
    this.remembered = state.remembered;
  }

  private hasRoom(): boolean {
    return this.remembered < this.maxKeys;
  }

  private siteTally(site: string): SiteTally {
    let tally = this.sites.get(site);
    if (!tally) {
      const key = this.hasRoom() ? site : OTHER;
      tally = this.sites.get(key) ?? { visits: 0, customers: new Set() };
      if (!this.sites.has(key)) this.remembered++;
      this.sites.set(key, tally);
    }
    return tally;
  }

  private customerTally(site: string, customerId: string): CustomerTally | undefined {
    const key = customerKey(site, customerId);
    let tally = this.customers.get(key);
    if (!tally && this.hasRoom()) {
      tally = { visits: 0, devices: new Set() };
      this.customers.set(key, tally);
      this.remembered++;
    }
    return tally;
  }
}

function customerKey(site: string, customerId: string): string {
  return `${site}\u0001${customerId}`;
}

export interface CompatCountersState {
  customers: [key: string, visits: number, devices: string[]][];
  sites: [site: string, visits: number, customers: string[]][];
  countries: [code: string, visits: number][];
  remembered: number;
}
