export const OTHER = "(other)";

/** Admits up to `limit` distinct keys; any further key folds into `(other)`. */
export class KeyCap {
  private readonly seen = new Set<string>();
  constructor(readonly limit: number) {}

  admit(key: string): string {
    if (this.seen.has(key)) return key;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(key);
    return key;
  }

  keys(): IterableIterator<string> {
    return this.seen.values();
  }

  get size(): number {
    return this.seen.size;
  }

  clear(): void {
    this.seen.clear();
  }

  restore(keys: readonly string[]): void {
    this.seen.clear();
    for (const key of keys) this.seen.add(key);
  }
}
