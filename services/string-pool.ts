/** Estimated heap bytes of a pooled string beyond its characters: string header, map entry, count. */
const POOLED_STRING_OVERHEAD = 96;

interface Pooled {
  value: string;
  holders: number;
}

/**
 * Shares one copy of each repeated string (pages, countries, sites, devices) among the sessions
 * that hold it: every event parses into fresh string instances, and a journey of 50 pages would
 * otherwise keep 50 copies per session. Each `intern` is one more holder and each `release` one
 * fewer; a string goes when its last holder releases it, so the pool holds only what live
 * sessions hold, and its size in bytes is known (two bytes a character, as the worst case).
 */
export class StringPool {
  private readonly strings = new Map<string, Pooled>();
  private totalBytes = 0;

  intern(value: string): string {
    const pooled = this.strings.get(value);
    if (pooled !== undefined) {
      pooled.holders++;
      return pooled.value;
    }
    this.strings.set(value, { value, holders: 1 });
    this.totalBytes += stringBytes(value);
    return value;
  }

  release(value: string): void {
    const pooled = this.strings.get(value);
    if (pooled === undefined) return;
    if (--pooled.holders > 0) return;
    this.strings.delete(value);
    this.totalBytes -= stringBytes(value);
  }

  get size(): number {
    return this.strings.size;
  }

  /** Estimated heap bytes of the distinct strings held. */
  get bytes(): number {
    return this.totalBytes;
  }

  clear(): void {
    this.strings.clear();
    this.totalBytes = 0;
  }
}

function stringBytes(value: string): number {
  return POOLED_STRING_OVERHEAD + 2 * value.length;
}
