/**
 * Splits a JSON value into a small header and bounded parts, and joins them back, so a snapshot of
 * 100,000 sessions never exists as one string: every array longer than the part size, wherever it
 * is in the tree, is left out of the header (a `null` stands in its place) and its elements are
 * handed over as JSON arrays of at most that many elements, one string at a time.
 *
 * Where a split array goes is recorded beside the header, not inside it, so no value in the state
 * (a visitor's event metadata included) can be mistaken for a marker.
 *
 * An iterator in the value (a generator, say) stands for the array of what it yields, and is always
 * split: it is read only as its parts are made, so a long list is never built whole to be saved.
 */

/** Elements per part: a few MB of sessions, so a part's string stays small. */
export const SNAPSHOT_PART_SIZE = 5_000;

/** An object key or an array index. */
export type JsonPathStep = string | number;

/** One array left out of the header: where it goes and how many elements its parts hold. */
export interface SplitArray {
  id: number;
  /** From the root of the whole value; indices count elements of split arrays as one array. */
  path: JsonPathStep[];
  length: number;
}

export interface SplitValue {
  header: string;
  /** In the order they were met: a split array comes before any split array inside it. */
  arrays: SplitArray[];
}

/**
 * A part's text is cut short of the part size past this many characters, so a few huge elements (long
 * journeys of long URLs) never make one string of hundreds of MB. Parts only ever hold whole elements.
 */
export const MAX_PART_CHARS = 1_000_000;

/** One part of a split array, ready to store. */
export interface SnapshotPart {
  arrayId: number;
  seq: number;
  json: string;
}

/**
 * Serialises `value` as a header and parts. `writePart(arrayId, seq, json)` receives each part as
 * soon as it is made, so the caller can store it and let its string go before the next one.
 */
export function splitValue(
  value: unknown,
  partSize: number,
  writePart: (arrayId: number, seq: number, json: string) => void,
): SplitValue {
  const steps = splitValueInSteps(value, partSize);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    if (step.value) writePart(step.value.arrayId, step.value.seq, step.value.json);
  }
}

/**
 * `splitValue` one element at a time: yields each part as it is made, and `undefined` after every
 * other element, where a caller may let the event loop run before asking for more; returns the
 * header and the split arrays. The header is made first, with the long arrays left out; then each
 * split array's elements are serialised in order (arrays met inside them are queued after it).
 * The value (and what its iterators read) must not change until the generator is done.
 */
export function* splitValueInSteps(
  value: unknown,
  partSize: number,
  maxPartChars = MAX_PART_CHARS,
): Generator<SnapshotPart | undefined, SplitValue> {
  if (!Number.isInteger(partSize) || partSize < 1) {
    throw new Error(`a snapshot part size must be a whole number of at least 1, not ${partSize}`);
  }
  const arrays: SplitArray[] = [];
  /** The split arrays (or iterators) themselves, by id, waiting to be written. */
  const queued: Iterable<unknown>[] = [];
  // One path, pushed and popped on the way down; copied only where an array is split.
  const path: JsonPathStep[] = [];

  /** The value as the header (or a part) holds it: the same object unless something inside was split. */
  const replace = (node: unknown): unknown => {
    if (node === null || typeof node !== "object" || hasToJson(node)) return node;
    if (isIterator(node)) {
      // Its length is known once it has been read: set when its parts are done.
      arrays.push({ id: arrays.length, path: path.slice(), length: 0 });
      queued.push(node);
      return null;
    }
    if (Array.isArray(node)) {
      if (node.length > partSize) {
        // The id is taken when the array is met, so an array always precedes those inside it.
        arrays.push({ id: arrays.length, path: path.slice(), length: node.length });
        queued.push(node);
        return null;
      }
      return replaceChildren(node, node.keys(), (index) => node[index]);
    }
    const record = node as Record<string, unknown>;
    return replaceChildren(record, Object.keys(record), (key) => record[key]);
  };

  /** Copies `node` only from the first child that changed; untouched subtrees are shared. */
  const replaceChildren = <K extends JsonPathStep>(
    node: object,
    keys: Iterable<K>,
    child: (key: K) => unknown,
  ): unknown => {
    let copy: Record<JsonPathStep, unknown> | unknown[] | undefined;
    for (const key of keys) {
      const original = child(key);
      path.push(key);
      const replaced = replace(original);
      path.pop();
      if (replaced !== original && copy === undefined) {
        copy = Array.isArray(node) ? node.slice() : { ...(node as Record<string, unknown>) };
      }
      // Every key is already an own property of the copy, so even "__proto__" is written as data.
      if (copy !== undefined) (copy as Record<JsonPathStep, unknown>)[key] = replaced;
    }
    return copy ?? node;
  };

  const header = JSON.stringify(replace(value) ?? null);
  // `queued` grows while its arrays are written: arrays inside their elements join the end.
  for (let id = 0; id < queued.length; id++) {
    const split = arrays[id] as SplitArray;
    path.length = 0;
    path.push(...split.path);
    let seq = 0;
    let index = 0;
    let elements: string[] = [];
    let chars = 0;
    for (const element of queued[id] as Iterable<unknown>) {
      path.push(index++);
      // As inside an array: what JSON cannot hold (undefined, a function) is null.
      const json = JSON.stringify(replace(element)) ?? "null";
      path.pop();
      elements.push(json);
      chars += json.length + 1;
      if (elements.length >= partSize || chars >= maxPartChars) {
        yield { arrayId: id, seq: seq++, json: `[${elements.join(",")}]` };
        elements = [];
        chars = 0;
      } else {
        yield undefined;
      }
    }
    if (elements.length > 0) yield { arrayId: id, seq: seq++, json: `[${elements.join(",")}]` };
    split.length = index;
    queued[id] = [];
  }
  return { header, arrays };
}

/**
 * Rebuilds what `splitValue` split. `readParts(arrayId)` yields an array's parts in order; each is
 * parsed and dropped before the next is read. Throws if a part is missing or the lengths disagree.
 */
export function joinValue(
  header: string,
  arrays: readonly SplitArray[],
  readParts: (arrayId: number) => Iterable<string>,
): unknown {
  let root: unknown = JSON.parse(header);
  for (const { id, path, length } of [...arrays].sort((a, b) => a.id - b.id)) {
    const elements: unknown[] = [];
    for (const part of readParts(id)) {
      const parsed: unknown = JSON.parse(part);
      if (!Array.isArray(parsed)) throw new Error(`snapshot part of array ${id} is not an array`);
      for (const element of parsed) elements.push(element);
    }
    if (elements.length !== length) {
      throw new Error(
        `snapshot array ${id} has ${elements.length} elements in its parts, expected ${length}`,
      );
    }
    if (path.length === 0) {
      root = elements;
      continue;
    }
    let parent: unknown = root;
    for (const step of path.slice(0, -1)) parent = (parent as Record<JsonPathStep, unknown>)[step];
    if (parent === null || typeof parent !== "object") {
      throw new Error(`snapshot array ${id} has no place at ${JSON.stringify(path)}`);
    }
    // The header holds a null at this key (an own property), so this writes data, never a prototype.
    (parent as Record<JsonPathStep, unknown>)[path[path.length - 1] as JsonPathStep] = elements;
  }
  return root;
}

function isIterator(node: object): node is Iterator<unknown> & Iterable<unknown> {
  const candidate = node as { next?: unknown; [Symbol.iterator]?: unknown };
  return typeof candidate.next === "function" && typeof candidate[Symbol.iterator] === "function";
}

function hasToJson(node: object): boolean {
  return typeof (node as { toJSON?: unknown }).toJSON === "function";
}
