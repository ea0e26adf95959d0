import { countryLabel } from "./countries.ts";
import { byTestId, element } from "./elements.ts";
import type { DimensionFilter } from "./protocol.ts";
import type { ViewState } from "./url-state.ts";

const MAX_SUGGESTIONS = 50;

/** The country and page filter: reads the form, says what is shown, suggests known values. */
export class FilterForm {
  private readonly country: HTMLInputElement;
  private readonly page: HTMLInputElement;
  private readonly active: HTMLElement;
  private readonly countryOptions: HTMLDataListElement;
  private readonly pageOptions: HTMLDataListElement;
  private suggested = "";

  constructor(form: HTMLFormElement, onApply: (filter: DimensionFilter) => void) {
    this.country = byTestId<HTMLInputElement>("filter-country", form);
    this.page = byTestId<HTMLInputElement>("filter-page", form);
    this.active = byTestId("filter-active", form);
    this.countryOptions = form.querySelector("#known-countries") as HTMLDataListElement;
    this.pageOptions = form.querySelector("#known-pages") as HTMLDataListElement;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onApply(this.read());
    });
    byTestId("filter-reset", form).addEventListener("click", () => {
      this.country.value = "";
      this.page.value = "";
      onApply({});
    });
  }

  /** Puts a filter (from the address) into the form's fields. */
  fill(filter: DimensionFilter): void {
    this.country.value = filter.country ?? "";
    this.page.value = filter.page ?? "";
  }

  read(): DimensionFilter {
    const filter: DimensionFilter = {};
    const country = this.country.value.trim();
    const page = this.page.value.trim();
    if (country !== "") filter.country = country;
    if (page !== "") filter.page = page.startsWith("/") ? page : `/${page}`;
    return filter;
  }

  showActive(filter: DimensionFilter): void {
    const parts = [
      filter.country !== undefined ? `country ${filter.country}` : undefined,
      filter.page !== undefined ? `page ${filter.page}` : undefined,
      filter.site !== undefined ? `site ${filter.site}` : undefined,
    ].filter((part) => part !== undefined);
    this.active.textContent =
      parts.length === 0 ? "Showing all visitors" : `Showing only ${parts.join(" and ")}`;
    this.active.dataset.filtered = String(parts.length > 0);
  }

  suggest(countries: Iterable<string>, pages: Iterable<string>): void {
    const countryList = [...countries].sort().slice(0, MAX_SUGGESTIONS);
    const pageList = [...pages].sort().slice(0, MAX_SUGGESTIONS);
    const key = `${countryList.join("\u0001")}\u0002${pageList.join("\u0001")}`;
    if (key === this.suggested) return;
    this.suggested = key;
    this.countryOptions.replaceChildren(
      ...countryList.map((value) => element("option", { value, label: countryLabel(value) })),
    );
    this.pageOptions.replaceChildren(...pageList.map((value) => element("option", { value })));
  }
}

/** How `track_dashboard_action` names a filter: "country", "page", "country+page" or "none". */
export function filterType(filter: DimensionFilter): string {
  const kinds = (["country", "page", "site"] as const).filter((key) => filter[key] !== undefined);
  return kinds.length === 0 ? "none" : kinds.join("+");
}

/** The Live view's filter for a view state: its form's fields and the chosen site. */
export function liveFilter(state: ViewState): DimensionFilter {
  const filter: DimensionFilter = {};
  if (state.live.country !== undefined) filter.country = state.live.country;
  if (state.live.page !== undefined) filter.page = state.live.page;
  if (state.site !== undefined) filter.site = state.site;
  return filter;
}

export function sameLiveFilter(a: DimensionFilter, b: DimensionFilter): boolean {
  return a.country === b.country && a.page === b.page && a.site === b.site;
}
