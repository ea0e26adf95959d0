import { describe, expect, test } from "bun:test";
import {
  joinValue,
  type SplitArray,
  splitValue,
  splitValueInSteps,
} from "../../services/storage/snapshot-parts.ts";

const PART = 3;

/** Splits into an in-memory map of parts (the unit's fake of the snapshot_parts table). */
function split(value: unknown, partSize = PART) {
  const parts = new Map<number, string[]>();
  const { header, arrays } = splitValue(value, partSize, (arrayId, seq, json) => {
    const list = parts.get(arrayId) ?? [];
    expect(seq).toBe(list.length);
    list.push(json);
    parts.set(arrayId, list);
  });
  return { header, arrays, parts };
}

function roundTrip(value: unknown, partSize = PART): unknown {
  const { header, arrays, parts } = split(value, partSize);
  return joinValue(header, arrays, (arrayId) => parts.get(arrayId) ?? []);
}

const range = (length: number) => Array.from({ length }, (_, index) => index);

describe("snapshot parts", () => {
  test("a value with no array longer than the part size is its own header, with no parts", () => {
    const value = { a: 1, b: "two", c: null, d: true, e: [1, 2, 3], f: { g: [] } };
    const { header, arrays, parts } = split(value);
    expect(header).toBe(JSON.stringify(value));
    expect(arrays).toEqual([]);
    expect(parts.size).toBe(0);
    expect(roundTrip(value)).toEqual(value);
  });

  test("an array of exactly the part size stays in the header; one more element splits it", () => {
    expect(split({ list: range(PART) }).arrays).toEqual([]);
    const { header, arrays, parts } = split({ list: range(PART + 1) });
    expect(JSON.parse(header)).toEqual({ list: null });
    expect(arrays).toEqual([{ id: 0, path: ["list"], length: PART + 1 }]);
    expect(parts.get(0)).toEqual([JSON.stringify(range(PART)), JSON.stringify([PART])]);
    expect(roundTrip({ list: range(PART + 1) })).toEqual({ list: range(PART + 1) });
  });

  test("no part holds more than the part size, and the parts hold every element in order", () => {
    const list = range(PART * 4 + 2).map((index) => ({ id: `s-${index}`, pages: ["/a"] }));
    const { parts } = split({ list });
    const texts = parts.get(0) ?? [];
    expect(texts).toHaveLength(5);
    const decoded = texts.map((text) => JSON.parse(text) as unknown[]);
    expect(decoded.every((part) => part.length <= PART)).toBe(true);
    expect(decoded.flat()).toEqual(list);
  });

  test("long arrays deep in the tree, inside arrays and inside split elements, all come back", () => {
    const value = {
      store: {
        sessions: { active: range(7).map((index) => ({ id: index, journey: range(index) })) },
        visitors: range(5).map((index) => [`v-${index}`, index]),
        recent: [],
      },
      matrix: [range(2), range(4), [range(5)]],
      top: range(4),
      scalar: 42,
    };
    const { arrays } = split(value);
    // Every split array precedes the split arrays inside it.
    for (const array of arrays) {
      const parent = arrays.find(
        (other) =>
          other.path.length < array.path.length &&
          other.path.every((step, index) => array.path[index] === step),
      );
      if (parent) expect(parent.id).toBeLessThan(array.id);
    }
    expect(arrays.map((array) => array.path)).toContainEqual([
      "store",
      "sessions",
      "active",
      6,
      "journey",
    ]);
    expect(roundTrip(value)).toEqual(value);
  });

  test("an array of arrays longer than the part size splits at every level", () => {
    const value = range(5).map((outer) => range(outer + 2));
    const { header, arrays } = split(value);
    expect(header).toBe("null");
    expect(arrays[0]).toEqual({ id: 0, path: [], length: 5 });
    expect(roundTrip(value)).toEqual(value);
  });

  test("empty arrays, empty objects and scalars come back unchanged", () => {
    for (const value of [[], {}, 0, "", null, false, { a: [], b: {}, c: [[]] }]) {
      expect(roundTrip(value)).toEqual(value);
    }
  });

  test("splitting never changes the value it was given", () => {
    const value = { list: range(10), nested: { list: range(10) } };
    const before = structuredClone(value);
    split(value);
    expect(value).toEqual(before);
  });

  test("a visitor's value shaped like a marker, or keyed __proto__, is kept as data", () => {
    const metadata = JSON.parse('{"$parts": 0, "length": 4, "__proto__": {"polluted": true}}');
    const value = { recent: range(5).map((index) => ({ index, metadata })), other: range(4) };
    const restored = roundTrip(value) as typeof value;
    expect(restored).toEqual(value);
    expect(Object.keys(restored.recent[0]?.metadata ?? {})).toEqual([
      "$parts",
      "length",
      "__proto__",
    ]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    // A split array under a "__proto__" key is put back on that key, not on a prototype.
    const keyed = JSON.parse('{"a": [1, 2, 3, 4], "__proto__": {"list": [1, 2, 3, 4, 5]}}');
    const back = roundTrip(keyed) as Record<string, unknown>;
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(JSON.stringify(back)).toBe(JSON.stringify(keyed));
    expect(({} as { list?: unknown }).list).toBeUndefined();
  });

  test("a missing part is an error, not a silently shorter array", () => {
    const { header, arrays, parts } = split({ list: range(7) });
    expect(() =>
      joinValue(header, arrays, (arrayId) => (parts.get(arrayId) ?? []).slice(1)),
    ).toThrow(/expected 7/);
  });

  test("a part size below 1 is refused", () => {
    expect(() => splitValue([1], 0, () => {})).toThrow(/at least 1/);
  });

  test("split arrays record their lengths for the join to check", () => {
    const { arrays } = split({ a: range(4), b: { c: range(9) } });
    expect(arrays).toEqual<SplitArray[]>([
      { id: 0, path: ["a"], length: 4 },
      { id: 1, path: ["b", "c"], length: 9 },
    ]);
  });

  test("an iterator is saved as the array it yields, read only as its parts are made", () => {
    let read = 0;
    function* counted() {
      for (let index = 0; index < 7; index++) {
        read++;
        yield { index };
      }
    }
    const value = { short: (function* () {})(), long: counted() };
    const steps = splitValueInSteps(value, PART);
    const first = steps.next();
    // The header is made without reading it.
    expect(first.done).toBe(false);
    expect(read).toBeLessThanOrEqual(1);
    const parts = new Map<number, string[]>();
    let step = first;
    for (; !step.done; step = steps.next()) {
      if (step.value)
        parts.set(step.value.arrayId, [...(parts.get(step.value.arrayId) ?? []), step.value.json]);
    }
    expect(read).toBe(7);
    const { header, arrays } = step.value;
    expect(arrays.map(({ length }) => length)).toEqual([0, 7]);
    expect(parts.get(1)).toHaveLength(3);
    expect(joinValue(header, arrays, (id) => parts.get(id) ?? [])).toEqual({
      short: [],
      long: range(7).map((index) => ({ index })),
    });
  });
});
