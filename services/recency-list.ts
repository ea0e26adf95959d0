interface Entry<V> {
  key: string;
  value: V;
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

/**
 * Keys in order of last touch, with O(1) touch, delete and oldest. A Map alone is not enough:
 * re-inserting keys to reorder them leaves deleted slots that JavaScriptCore's iterator walks past
 * from the front, so "the oldest entry" costs O(deletions) (measured: ~130 µs with 100,000 keys).
 */
export class RecencyList<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private oldestEntry: Entry<V> | undefined;
  private newestEntry: Entry<V> | undefined;

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets the value and makes the key the most recent. */
  touch(key: string, value: V): void {
    let entry = this.entries.get(key);
    if (entry) {
      entry.value = value;
      if (entry === this.newestEntry) return;
      this.unlink(entry);
    } else {
      entry = { key, value, older: undefined, newer: undefined };
      this.entries.set(key, entry);
    }
    entry.older = this.newestEntry;
    entry.newer = undefined;
    if (this.newestEntry) this.newestEntry.newer = entry;
    this.newestEntry = entry;
    this.oldestEntry ??= entry;
  }

  delete(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.unlink(entry);
    return entry.value;
  }

  oldest(): V | undefined {
    return this.oldestEntry?.value;
  }

  oldestKey(): string | undefined {
    return this.oldestEntry?.key;
  }

  *newestFirst(): Generator<V> {
    for (let entry = this.newestEntry; entry; entry = entry.older) yield entry.value;
  }

  *oldestFirst(): Generator<[string, V]> {
    for (let entry = this.oldestEntry; entry; entry = entry.newer) yield [entry.key, entry.value];
  }

  clear(): void {
    this.entries.clear();
    this.oldestEntry = undefined;
    this.newestEntry = undefined;
  }

  private unlink(entry: Entry<V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldestEntry = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newestEntry = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
