/**
 * Shares one copy of each repeated string (pages, countries, sites, devices) among the sessions
 * that hold it: every event parses into fresh string instances, and a journey of 50 pages would
 * otherwise keep 50 copies per session. Holds at most `capacity` strings; past that, strings
 * are kept as they come.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  intern(value: string): string {
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled;
    if (this.strings.size < this.capacity) this.strings.set(value, value);
    return value;
  }

  get size(): number {
    return this.strings.size;
  }
}
