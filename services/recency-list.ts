import { LinkedOrder } from "./linked-order.ts";

interface Entry<V> {
  key: string;
  value: V;
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

/** Keys in order of last touch, with O(1) touch, delete and oldest (see LinkedOrder for why). */
export class RecencyList<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly order = new LinkedOrder<Entry<V>>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets the value and makes the key the most recent. */
  touch(key: string, value: V): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.value = value;
      this.order.touch(entry);
      return;
    }
    const added: Entry<V> = { key, value, older: undefined, newer: undefined };
    this.entries.set(key, added);
    this.order.append(added);
  }

  delete(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.order.remove(entry);
    return entry.value;
  }

  oldest(): V | undefined {
    return this.order.oldest?.value;
  }

  oldestKey(): string | undefined {
    return this.order.oldest?.key;
  }

  *newestFirst(): Generator<V> {
    for (const entry of this.order.newestFirst()) yield entry.value;
  }

  *oldestFirst(): Generator<[string, V]> {
    for (const entry of this.order.oldestFirst()) yield [entry.key, entry.value];
  }

  clear(): void {
    this.order.clear();
    this.entries.clear();
  }
}
