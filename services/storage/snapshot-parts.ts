/**
 * Splits a JSON value into a small header and bounded parts, and joins them back, so a snapshot of
 * 100,000 sessions never exists as one string: every array longer than the part size, wherever it
 * is in the tree, is left out of the header (a `null` stands in its place) and its elements are
 * handed over as JSON arrays of at most that many elements, one string at a time.
 *
 * Where a split array goes is recorded beside the header, not inside it, so no value in the state
 * (a visitor's event metadata included) can be mistaken for a marker.
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
 * Serialises `value` as a header and parts. `writePart(arrayId, seq, json)` receives each part as
 * soon as it is made, so the caller can store it and let its string go before the next one.
 */
export function splitValue(
  value: unknown,
  partSize: number,
  writePart: (arrayId: number, seq: number, json: string) => void,
): SplitValue {
  if (!Number.isInteger(partSize) || partSize < 1) {
    throw new Error(`a snapshot part size must be a whole number of at least 1, not ${partSize}`);
  }
  const arrays: SplitArray[] = [];
  // One path, pushed and popped on the way down; copied only where an array is split.
  const path: JsonPathStep[] = [];

  /** The value as the header (or a part) holds it: the same object unless something inside was split. */
  const replace = (node: unknown): unknown => {
    if (node === null || typeof node !== "object" || hasToJson(node)) return node;
    if (Array.isArray(node)) {
      if (node.length > partSize) return split(node);
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

  const split = (node: unknown[]): null => {
    // The id is taken before the elements are walked, so an array always precedes those inside it.
    const id = arrays.length;
    arrays.push({ id, path: path.slice(), length: node.length });
    let seq = 0;
    for (let start = 0; start < node.length; start += partSize) {
      const part: unknown[] = [];
      const end = Math.min(start + partSize, node.length);
      for (let index = start; index < end; index++) {
        path.push(index);
        part.push(replace(node[index]));
        path.pop();
      }
      writePart(id, seq++, JSON.stringify(part));
    }
    return null;
  };

  const header = JSON.stringify(replace(value) ?? null);
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

function hasToJson(node: object): boolean {
  return typeof (node as { toJSON?: unknown }).toJSON === "function";
}
