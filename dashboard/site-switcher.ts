import { element } from "./elements.ts";
import { formatCount } from "./format.ts";
import { fetchSites, type SiteRow } from "./history/query.ts";
import type { View } from "./url-state.ts";

const ALL_SITES = "";

/**
 * The site picker of both views, filled from `GET /api/analytics/sites` (busiest today first).
 * Live may show every site at once; History always shows one, the busiest by default.
 */
export class SiteSwitcher {
  private sites: SiteRow[] = [];
  private chosen: string | undefined;
  private view: View = "live";

  constructor(
    private readonly select: HTMLSelectElement,
    onPick: (site: string | undefined) => void,
  ) {
    select.addEventListener("change", () => {
      onPick(select.value === ALL_SITES ? undefined : select.value);
    });
  }

  /** Asks for the sites again; false when the API did not answer. */
  async load(token: string): Promise<boolean> {
    const sites = await fetchSites(token);
    if (sites === undefined) return false;
    this.sites = sites;
    this.render();
    return true;
  }

  get loaded(): boolean {
    return this.sites.length > 0;
  }

  /** The busiest site today, the History view's default. */
  busiest(): string | undefined {
    return this.sites[0]?.site;
  }

  show(site: string | undefined, view: View): void {
    this.chosen = site;
    this.view = view;
    this.render();
  }

  private render(): void {
    const names = this.sites.map((row) => row.site);
    // A shared address may name a site this server has not listed (yet): it is still offered.
    const extra = this.chosen !== undefined && !names.includes(this.chosen) ? [this.chosen] : [];
    const options = [
      element("option", { value: ALL_SITES, "data-site": "" }, "All sites"),
      ...extra.map((site) => element("option", { value: site, "data-site": site }, site)),
      ...this.sites.map((row) =>
        element(
          "option",
          { value: row.site, "data-site": row.site },
          `${row.site} (${formatCount(row.visitors_today)} today)`,
        ),
      ),
    ];
    const all = options[0];
    if (all && this.view === "history") all.disabled = true;
    this.select.replaceChildren(...options);
    this.select.value = this.chosen ?? ALL_SITES;
    this.select.dataset.sites = names.join(",");
  }
}
