import { element } from "../elements.ts";
import { formatCount, formatDuration } from "../format.ts";
import type { QueryRow } from "./query.ts";

interface Figure {
  metric: string;
  label: string;
  format: (value: number) => string;
  /** The change is a difference in points (rates), not a percentage. */
  points?: boolean;
  /** Lower is better (a falling bounce rate is good news). */
  lowerIsBetter?: boolean;
}

const FIGURES: Figure[] = [
  { metric: "visitors", label: "Unique visitors", format: formatCount },
  { metric: "visits", label: "Total visits", format: formatCount },
  { metric: "pageviews", label: "Total pageviews", format: formatCount },
  { metric: "views_per_visit", label: "Views per visit", format: (value) => value.toFixed(2) },
  {
    metric: "bounce_rate",
    label: "Bounce rate",
    format: (value) => `${Math.round(value)}%`,
    points: true,
    lowerIsBetter: true,
  },
  { metric: "visit_duration", label: "Visit duration", format: formatDuration },
];

/** The metrics the top line asks for, in the order of its figures. */
export const TOP_LINE_METRICS = FIGURES.map((figure) => figure.metric);

/** The range's totals, each with its change against the period just before. */
export class TopLine {
  private readonly values = new Map<string, HTMLElement>();
  private readonly changes = new Map<string, HTMLElement>();

  constructor(private readonly container: HTMLElement) {
    container.replaceChildren(
      ...FIGURES.map((figure) => {
        const value = element(
          "span",
          { class: "figure-value", "data-testid": `figure-${figure.metric}` },
          "–",
        );
        const change = element(
          "span",
          { class: "figure-change", "data-testid": `figure-${figure.metric}-change` },
          "",
        );
        this.values.set(figure.metric, value);
        this.changes.set(figure.metric, change);
        return element(
          "div",
          { class: "figure" },
          element("span", { class: "figure-label" }, figure.label),
          value,
          change,
        );
      }),
    );
  }

  loading(): void {
    this.container.dataset.loading = "true";
  }

  /** The totals row of a query asking TOP_LINE_METRICS with `compare: "previous_period"`. */
  show(row: QueryRow | undefined): void {
    FIGURES.forEach((figure, index) => {
      const raw = row?.metrics[index];
      const value = this.values.get(figure.metric);
      const change = this.changes.get(figure.metric);
      if (!value || !change) return;
      value.textContent = typeof raw === "number" ? figure.format(raw) : "–";
      value.dataset.value = typeof raw === "number" ? String(raw) : "";
      describeChange(change, row?.comparison?.change[index], figure);
    });
    this.container.dataset.loading = "false";
  }

  failed(): void {
    this.show(undefined);
  }
}

function describeChange(node: HTMLElement, change: number | null | undefined, figure: Figure) {
  if (change === undefined) {
    node.textContent = "";
    node.dataset.trend = "none";
    return;
  }
  if (change === null) {
    node.textContent = "new";
    node.title = "Nothing in the previous period to compare with";
    node.dataset.trend = "none";
    return;
  }
  const arrow = change > 0 ? "↑" : change < 0 ? "↓" : "";
  const size = Math.abs(change);
  const amount = figure.points ? `${formatCount(size)} pts` : `${formatCount(size)}%`;
  node.textContent = change === 0 ? "no change" : `${arrow} ${amount}`;
  node.title = "Against the previous period of the same length";
  const better = figure.lowerIsBetter ? change < 0 : change > 0;
  node.dataset.trend = change === 0 ? "flat" : better ? "good" : "bad";
}
