/** UTC hours a rule is checked in, as the API takes them ("08:00" to "22:00"). */
export interface ActiveHours {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * When the active period holding `now` began (ms), or undefined outside the hours. `to` before
 * `from` spans midnight: 22:00 to 06:00 at 03:00 began at 22:00 the day before.
 */
export function activePeriodStart(hours: ActiveHours, now: number): number | undefined {
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  const midnight = now - (now % DAY_MS);
  const minute = Math.floor((now - midnight) / MINUTE_MS);
  if (from < to) {
    return minute >= from && minute < to ? midnight + from * MINUTE_MS : undefined;
  }
  if (minute >= from) return midnight + from * MINUTE_MS;
  if (minute < to) return midnight - DAY_MS + from * MINUTE_MS;
  return undefined;
}

/**
 * Whether a window of `windowMs` ending now lies wholly inside the active hours (always, with
 * none): a drop over 30 minutes from 08:00 is first checked at 08:30, so a quiet night is not one.
 */
export function windowInsideHours(
  hours: ActiveHours | null,
  now: number,
  windowMs: number,
): boolean {
  if (hours === null) return true;
  const start = activePeriodStart(hours, now);
  return start !== undefined && now - start >= windowMs;
}
