export const OTHER = "(other)";

/**
 * Admits up to `limit` distinct keys, and up to `maxBytes` of them in all (UTF-8): any further
 * key folds into `(other)`. The byte budget matters because keys can be long (a page is up to
 * 2,048 characters): a count alone would let 10,000 long pages in.
 */
export class KeyCap {
  private readonly seen = new Set<string>();
  private keyBytes = 0;

  constructor(
    readonly limit: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  admit(key: string): string {
    if (this.seen.has(key)) return key;
    if (this.seen.size >= this.limit) return OTHER;
    const bytes = Buffer.byteLength(key);
    if (this.keyBytes + bytes > this.maxBytes) return OTHER;
    this.seen.add(key);
    this.keyBytes += bytes;
    return key;
  }

  keys(): IterableIterator<string> {
    return this.seen.values();
  }

  get size(): number {
    return this.seen.size;
  }

  /** UTF-8 bytes of the admitted keys. */
  get bytes(): number {
    return this.keyBytes;
  }

  clear(): void {
    this.seen.clear();
    this.keyBytes = 0;
  }

  restore(keys: readonly string[]): void {
    this.clear();
    for (const key of keys) {
      this.seen.add(key);
      this.keyBytes += Buffer.byteLength(key);
    }
  }
}
