import { countryLabel } from "../countries.ts";
import { element } from "../elements.ts";
import type { ViewFilter } from "../url-state.ts";
import { dimensionLabel } from "./ranges.ts";

/** How a filtered value reads: countries by flag and name, anything else as it is. */
export function valueLabel(filter: ViewFilter): string {
  return filter.dimension === "country" ? countryLabel(filter.value) : filter.value;
}

/** The History view's filters as chips; clicking one removes it. */
export class FilterChips {
  private shown: readonly ViewFilter[] = [];

  constructor(
    private readonly container: HTMLElement,
    onRemove: (filter: ViewFilter) => void,
  ) {
    container.addEventListener("click", (event) => {
      const chip = (event.target as Element).closest<HTMLButtonElement>("button[data-dimension]");
      const filter = this.shown.find(
        (f) => f.dimension === chip?.dataset.dimension && f.value === chip?.dataset.value,
      );
      if (filter) onRemove(filter);
    });
  }

  show(filters: readonly ViewFilter[]): void {
    this.shown = filters;
    this.container.hidden = filters.length === 0;
    this.container.replaceChildren(
      ...filters.map((filter) =>
        element(
          "button",
          {
            type: "button",
            class: "chip",
            "data-testid": "filter-chip",
            "data-dimension": filter.dimension,
            "data-value": filter.value,
            title: "Remove this filter",
          },
          element("span", { class: "chip-dimension" }, `${dimensionLabel(filter.dimension)} is`),
          element("span", { class: "chip-value" }, valueLabel(filter)),
          element("span", { class: "chip-remove", "aria-hidden": "true" }, "×"),
        ),
      ),
    );
  }
}
