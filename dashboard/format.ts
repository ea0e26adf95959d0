const counts = new Intl.NumberFormat("en-US");
const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** 1234 -> "1,234"; no figure yet -> an en dash. */
export function formatCount(value: number | undefined): string {
  return value === undefined ? "–" : counts.format(value);
}

/** Seconds -> "45s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** An ISO time as the viewer's wall-clock time. */
export function formatClock(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? "" : clock.format(time);
}

/** "Chrome · macOS · desktop": what is known of the visitor's device, the device kind always. */
export function deviceLabel(visit: { browser?: string; os?: string; device: string }): string {
  return [visit.browser, visit.os, visit.device].filter(Boolean).join(" · ");
}
