import { element } from "../elements.ts";
import { formatCount } from "../format.ts";
import { metric, type QueryRow } from "./query.ts";

export interface RowColumn {
  label: string;
  format?: (value: number) => string;
}

export interface RowOptions {
  /** `data-testid` of each row's button. */
  testId: string;
  columns: RowColumn[];
  /** How a value reads (a country code as its flag and name). */
  label?: (value: string) => string;
  /** Whether a value can be clicked (`(other)` folds many values: it is not one to filter by). */
  clickable?: (value: string) => boolean;
  emptyText: string;
}

/** `(none)` filters like any value (the endpoint matches missing values by it); `(other)` does not. */
export const isRealValue = (value: string) => value !== "(other)";

/** A table-like list of rows, each a button, with a bar showing its share of the first column. */
export function renderRows(list: HTMLElement, rows: readonly QueryRow[], options: RowOptions) {
  const head = element(
    "li",
    { class: "history-row history-row-head", "aria-hidden": "true" },
    element("span", { class: "row-label" }, ""),
    ...options.columns.map((column) => element("span", { class: "row-figure" }, column.label)),
  );
  if (rows.length === 0) {
    list.replaceChildren(element("li", { class: "empty" }, options.emptyText));
    return;
  }
  const largest = Math.max(1, ...rows.map((row) => metric(row, 0)));
  const clickable = options.clickable ?? isRealValue;
  list.replaceChildren(
    head,
    ...rows.map((row) => {
      const value = row.dimensions[0] ?? "";
      const text = options.label ? options.label(value) : value;
      const button = element(
        "button",
        {
          type: "button",
          class: "history-row",
          "data-testid": options.testId,
          "data-value": value,
          title: text,
        },
        element("span", { class: "row-label" }, text),
        ...options.columns.map((column, index) =>
          element(
            "span",
            { class: "row-figure" },
            (column.format ?? formatCount)(metric(row, index)),
          ),
        ),
      );
      button.disabled = !clickable(value);
      button.style.setProperty("--share", `${Math.max(2, (metric(row, 0) / largest) * 100)}%`);
      return element("li", {}, button);
    }),
  );
}
