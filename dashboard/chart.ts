import uPlot from "uplot";
import type { MinuteSeries } from "./visitors-per-minute.ts";

const HEIGHT = 220;
const minuteLabel = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const SERIES_COLOR = "#2f6fed";

/** Visitors per minute as bars, with uPlot. Created once the container has a width. */
export class VisitorsChart {
  private plot: uPlot | undefined;
  private latest: MinuteSeries = { minutes: [], visitors: [] };

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.fit()).observe(container);
  }

  update(series: MinuteSeries): void {
    this.latest = series;
    // The drawn figures, for assistive technology (a canvas has no text) and for tests.
    this.container.dataset.visitors = series.visitors.join(",");
    this.container.setAttribute(
      "aria-label",
      `Visitors per minute over the last ${series.visitors.length} minutes; this minute: ${series.visitors.at(-1) ?? 0}`,
    );
    const data: uPlot.AlignedData = [series.minutes, series.visitors];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const width = this.container.clientWidth;
    if (width === 0) return;
    this.plot = new uPlot(this.options(width), data, this.container);
  }

  private fit(): void {
    const width = this.container.clientWidth;
    if (width === 0) return;
    if (this.plot) this.plot.setSize({ width, height: HEIGHT });
    else this.update(this.latest);
  }

  private options(width: number): uPlot.Options {
    const ink = getComputedStyle(this.container).color || "#555";
    const grid = { stroke: "rgba(128, 128, 128, 0.18)", width: 1 };
    return {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Half a minute either side so the first and last bars are whole.
        x: { time: true, range: (_plot, min, max) => [min - 30, max + 30] },
        y: { range: (_plot, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      },
      axes: [
        {
          stroke: ink,
          grid,
          ticks: grid,
          space: 56,
          // Whole minutes only, labelled as wall-clock times (seconds since the epoch).
          incrs: [60, 120, 300, 600, 900, 1_800, 3_600],
          values: (_plot, splits) => splits.map((seconds) => minuteLabel.format(seconds * 1000)),
        },
        {
          stroke: ink,
          grid,
          ticks: grid,
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000],
          values: (_plot, splits) => splits.map((value) => value.toLocaleString("en-US")),
          size: 48,
        },
      ],
      series: [
        {},
        {
          label: "Visitors",
          stroke: SERIES_COLOR,
          fill: "rgba(47, 111, 237, 0.45)",
          width: 1,
          points: { show: false },
          paths: uPlot.paths.bars?.({ size: [0.7, 48], radius: 0.15 }),
        },
      ],
    };
  }
}
