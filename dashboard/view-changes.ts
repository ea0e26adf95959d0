/** Parts of the page; a change marks the ones to redraw on the next animation frame. */
export type ViewPart =
  | "status"
  | "dashboards"
  | "counters"
  | "chart"
  | "breakdowns"
  | "feed"
  | "sessions"
  | "journey"
  | "alerts"
  | "filter"
  | "notice";

/** The parts of the page changed since the renderer last drew them, and whom to tell of a change. */
export class ViewChanges {
  private readonly dirty = new Set<ViewPart>();
  private listener: () => void = () => {};

  onChange(listener: () => void): void {
    this.listener = listener;
  }

  mark(...parts: ViewPart[]): void {
    for (const part of parts) this.dirty.add(part);
    this.listener();
  }

  /** The parts changed since the last call. */
  take(): Set<ViewPart> {
    const parts = new Set(this.dirty);
    this.dirty.clear();
    return parts;
  }
}
