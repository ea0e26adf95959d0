import { byTestId } from "../elements.ts";
import type { HistoryRange, ViewFilter } from "../url-state.ts";
import { BreakdownPanel } from "./breakdown-panel.ts";
import { FilterChips } from "./filter-chips.ts";
import { GoalsPanel } from "./goals-panel.ts";
import { BREAKDOWNS } from "./panels.ts";
import { metric, type QueryContext, requestFor, runQuery } from "./query.ts";
import { timeDimension } from "./ranges.ts";
import { TOP_LINE_METRICS, TopLine } from "./top-line.ts";
import { TrendChart } from "./trend-chart.ts";

export interface HistoryEvents {
  range(range: HistoryRange): void;
  filter(filter: ViewFilter): void;
  unfilter(filter: ViewFilter): void;
}

/** Every bucket of the widest range the chart is asked for ("all" over many years, by month). */
const CHART_ROWS = 10_000;

/**
 * The History view: a site's traffic over a range from `POST /api/analytics/query`, with the
 * totals and their change, a chart, the breakdowns and the goals, all under the view's filters.
 */
export class HistoryView {
  private readonly topLine = new TopLine(byTestId("history-figures"));
  private readonly chart = new TrendChart(byTestId("history-chart"));
  private readonly chips: FilterChips;
  private readonly panels: BreakdownPanel[];
  private readonly goals: GoalsPanel;
  private readonly notice = byTestId("history-notice");
  private readonly rangeButtons = [
    ...document.querySelectorAll<HTMLButtonElement>("[data-history-range]"),
  ];
  private asked = 0;

  constructor(
    readonly root: HTMLElement,
    events: HistoryEvents,
  ) {
    this.chips = new FilterChips(byTestId("filter-chips"), events.unfilter);
    this.panels = BREAKDOWNS.map((config) => new BreakdownPanel(config, events.filter));
    this.goals = new GoalsPanel(events.filter);
    byTestId("history-panels").replaceChildren(
      ...this.panels.map((panel) => panel.card),
      this.goals.card,
    );
    for (const button of this.rangeButtons) {
      button.addEventListener("click", () => {
        events.range(button.dataset.historyRange as HistoryRange);
      });
    }
  }

  /** Loads everything for `context` (a later call wins over answers still coming). */
  show(context: QueryContext): void {
    for (const button of this.rangeButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.historyRange === context.range));
    }
    this.chips.show(context.filters);
    this.root.dataset.site = context.site;
    this.root.dataset.range = context.range;
    this.setNotice(undefined);
    void this.loadTotals(context);
    for (const panel of this.panels) void panel.load(context);
    void this.goals.load(context);
  }

  /** No site to show (none seen yet, or the sites did not load). */
  showEmpty(message: string): void {
    this.topLine.failed();
    this.chips.show([]);
    this.setNotice(message);
  }

  private setNotice(message: string | undefined): void {
    this.notice.textContent = message ?? "";
    this.notice.hidden = message === undefined;
  }

  private async loadTotals(context: QueryContext): Promise<void> {
    const asked = ++this.asked;
    this.topLine.loading();
    const bucket = timeDimension(context.range);
    const [totals, trend] = await Promise.all([
      runQuery(
        context.token,
        requestFor(context, { metrics: TOP_LINE_METRICS, compare: "previous_period" }),
      ),
      runQuery(
        context.token,
        requestFor(context, {
          metrics: ["visitors", "pageviews"],
          dimensions: [bucket],
          limit: CHART_ROWS,
        }),
      ),
    ]);
    if (asked !== this.asked) return;
    if (totals.ok) this.topLine.show(totals.body.results[0]);
    else this.topLine.failed();
    if (!totals.ok || !trend.ok) {
      this.setNotice(
        `Could not load this view${totals.ok ? "" : `: ${totals.message ?? "the server did not answer"}`}.`,
      );
    }
    if (!trend.ok) return;
    // Results hold only the buckets with data; the labels list every bucket of the range.
    const byLabel = new Map(trend.body.results.map((row) => [row.dimensions[0] ?? "", row]));
    const labels = trend.body.meta?.time_labels ?? [...byLabel.keys()];
    this.chart.update({
      bucket,
      labels,
      visitors: labels.map((label) => metric(byLabel.get(label), 0)),
      pageviews: labels.map((label) => metric(byLabel.get(label), 1)),
    });
  }
}
