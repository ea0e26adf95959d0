import uPlot from "uplot";
import { labelSeconds } from "./ranges.ts";

const HEIGHT = 240;
const VISITORS_COLOR = "#2f6fed";
const PAGEVIEWS_COLOR = "#16a34a";

export type Bucket = "time:hour" | "time:day" | "time:month";

/** Every bucket of the range with its figures, zero where the answer had no row. */
export interface TrendSeries {
  bucket: Bucket;
  labels: string[];
  visitors: number[];
  pageviews: number[];
}

const LABEL_FORMATS: Record<Bucket, Intl.DateTimeFormat> = {
  "time:hour": new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  }),
  "time:day": new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }),
  "time:month": new Intl.DateTimeFormat("en-GB", {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }),
};

/**
 * Visitors and pageviews over the range, with uPlot (a module of its own so the Live view's
 * per-minute bars stay as they are). Buckets are UTC, as the endpoint counts them.
 */
export class TrendChart {
  private plot: uPlot | undefined;
  private bucket: Bucket | undefined;
  private latest: TrendSeries = { bucket: "time:day", labels: [], visitors: [], pageviews: [] };

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.fit()).observe(container);
  }

  update(series: TrendSeries): void {
    this.latest = series;
    // The drawn figures, for assistive technology (a canvas has no text) and for tests.
    this.container.dataset.labels = series.labels.join(",");
    this.container.dataset.visitors = series.visitors.join(",");
    this.container.dataset.pageviews = series.pageviews.join(",");
    const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
    this.container.setAttribute(
      "aria-label",
      `Visitors and pageviews over ${series.labels.length} periods: ${total(series.visitors)} visitor-periods, ${total(series.pageviews)} pageviews`,
    );
    // The x scale counts buckets (not seconds), so ticks fall on whole hours, days and months.
    const data: uPlot.AlignedData = [
      series.labels.map((_label, index) => index),
      series.visitors,
      series.pageviews,
    ];
    // The axis labels depend on the bucket: a new bucket is a new plot.
    if (this.plot && this.bucket === series.bucket) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.plot = undefined;
    const width = this.container.clientWidth;
    if (width === 0) return;
    this.bucket = series.bucket;
    this.plot = new uPlot(this.options(width, series.bucket), data, this.container);
  }

  private fit(): void {
    const width = this.container.clientWidth;
    if (width === 0) return;
    if (this.plot) this.plot.setSize({ width, height: HEIGHT });
    else this.update(this.latest);
  }

  private options(width: number, bucket: Bucket): uPlot.Options {
    const ink = getComputedStyle(this.container).color || "#555";
    const grid = { stroke: "rgba(128, 128, 128, 0.18)", width: 1 };
    const format = LABEL_FORMATS[bucket];
    const tick = (index: number) => {
      const label = this.latest.labels[index];
      return label === undefined ? "" : format.format(labelSeconds(label) * 1000);
    };
    const line = (label: string, stroke: string, fill: string): uPlot.Series => ({
      label,
      stroke,
      fill,
      width: 2,
      points: { show: true, size: 4 },
    });
    return {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: {
          time: false,
          range: (_plot, min, max) => [min - 0.25, Math.max(max, min + 1) + 0.25],
        },
        y: { range: (_plot, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      },
      axes: [
        {
          stroke: ink,
          grid,
          ticks: grid,
          space: 64,
          incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 60, 120],
          values: (_plot, splits) =>
            splits.map((index) => (Number.isInteger(index) ? tick(index) : "")),
        },
        {
          stroke: ink,
          grid,
          ticks: grid,
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000],
          values: (_plot, splits) => splits.map((value) => value.toLocaleString("en-US")),
          size: 52,
        },
      ],
      series: [
        {},
        line("Visitors", VISITORS_COLOR, "rgba(47, 111, 237, 0.12)"),
        line("Pageviews", PAGEVIEWS_COLOR, "rgba(22, 163, 74, 0.08)"),
      ],
    };
  }
}
