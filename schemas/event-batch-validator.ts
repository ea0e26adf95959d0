import { C0_CONTROL, PRINTABLE } from "./common.ts";
import {
  CAMPAIGN_FIELDS,
  EVENT_TYPES,
  type EventInput,
  eventInputSchema,
  MAX_EXTRA_METADATA,
  MAX_METADATA_KEY_LENGTH,
  type Metadata,
} from "./event.ts";

/**
 * `eventInputSchema`, hand-compiled for the events websites actually send, and the schema itself
 * for every other. `fastEventInput` answers the schema's own output for an event it can vouch for
 * and `undefined` on any doubt (a string to clean, a timestamp, an odd metadata key), never a
 * refusal: refusals, and their wording, are always the schema's. So the schema stays the single
 * source of what is accepted; tests/unit/event-batch-validator.test.ts holds the two to the same
 * answers over valid, borderline and hostile inputs. Measured: the schema's ~6 µs an event on
 * this machine against well under 1 µs here (bench/stages.ts).
 */

/** Each field's rule as the schema words it in schemas/event.ts (label: trimmed; text: as sent). */
const LABELS: readonly (readonly [keyof EventInput, number])[] = [
  ["name", 128],
  ["page", 2048],
  ["session_id", 128],
  ["sessionId", 128],
];
const PLACE_LABELS: readonly (readonly [keyof EventInput, number])[] = [
  ["country", 64],
  ["site", 253],
  ["user_id", 256],
];
const CAMPAIGN_MAX = 256;
const TITLE_MAX = 512;
const DEVICE_MAX = 64;
const REFERRER_MAX = 2048;
const SCALAR_TEXT_MAX = 1024;
const TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);

/** What a label becomes (trimmed), or undefined when only the schema can say. */
function fastLabel(value: unknown, max: number): string | undefined {
  if (typeof value !== "string" || !value.isWellFormed()) return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max || !PRINTABLE.test(trimmed)) return undefined;
  return trimmed;
}

/** Free text the schema keeps as sent: well formed, no C0 control to remove, within `max`. */
function isFastText(value: unknown, max: number): value is string {
  return (
    typeof value === "string" &&
    value.length <= max &&
    value.isWellFormed() &&
    !C0_CONTROL.test(value)
  );
}

const isFastScalar = (value: unknown) =>
  value === null ||
  typeof value === "boolean" ||
  typeof value === "number" ||
  isFastText(value, SCALAR_TEXT_MAX);

/** metadataSchema's output (a null-prototype object) for plain keys and values; else undefined. */
function fastMetadata(input: unknown): Metadata | undefined {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return undefined;
  const metadata: Metadata = Object.create(null);
  let extra = 0;
  for (const name in input) {
    if (!Object.hasOwn(input, name)) return undefined;
    if (name.length > MAX_METADATA_KEY_LENGTH || !name.isWellFormed() || !PRINTABLE.test(name))
      return undefined;
    const value = (input as Record<string, unknown>)[name];
    if (name === "device") {
      const device = fastLabel(value, DEVICE_MAX);
      if (device === undefined) return undefined;
      metadata.device = device;
    } else if (name === "referrer") {
      if (!isFastText(value, REFERRER_MAX)) return undefined;
      metadata.referrer = value;
    } else {
      if (++extra > MAX_EXTRA_METADATA || !isFastScalar(value)) return undefined;
      metadata[name] = value as Metadata[string];
    }
  }
  // Symbol or non-enumerable own keys: the schema's reading (Object.entries) decides.
  if (Object.keys(input).length !== Object.getOwnPropertyNames(input).length) return undefined;
  return metadata;
}

/**
 * The schema's output for `value` when it can be computed here without doubt; `undefined` means
 * "ask the schema" (which may accept or refuse).
 */
export function fastEventInput(value: unknown): EventInput | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const input = value as Record<string, unknown>;
  if (!TYPES.has(input.type)) return undefined;
  const event: Record<string, unknown> = { type: input.type };
  for (const [field, max] of LABELS) {
    const raw = input[field];
    if (raw === undefined) {
      if (field in input) return undefined;
      continue;
    }
    const label = fastLabel(raw, max);
    if (label === undefined) return undefined;
    event[field] = label;
  }
  if (event.page === undefined) return undefined;
  if (event.session_id === undefined && event.sessionId === undefined) return undefined;
  if (input.type === "custom" && event.name === undefined) return undefined;
  if (input.timestamp !== undefined || "timestamp" in input) return undefined;
  for (const [field, max] of PLACE_LABELS) {
    const raw = input[field];
    if (raw === undefined) {
      if (field in input) return undefined;
      continue;
    }
    const label = fastLabel(raw, max);
    if (label === undefined) return undefined;
    event[field] = label;
  }
  if (input.title !== undefined) {
    if (!isFastText(input.title, TITLE_MAX)) return undefined;
    event.title = input.title;
  } else if ("title" in input) return undefined;
  if (input.metadata !== undefined) {
    const metadata = fastMetadata(input.metadata);
    if (metadata === undefined) return undefined;
    event.metadata = metadata;
  } else if ("metadata" in input) return undefined;
  for (const field of CAMPAIGN_FIELDS) {
    const raw = input[field];
    if (raw === undefined) {
      if (field in input) return undefined;
      continue;
    }
    const label = fastLabel(raw, CAMPAIGN_MAX);
    if (label === undefined) return undefined;
    event[field] = label;
  }
  return event as EventInput;
}

/** `eventInputSchema.safeParse`, answered by the compiled path when it can vouch for the event. */
export function parseEventInput(value: unknown): ReturnType<typeof eventInputSchema.safeParse> {
  const fast = fastEventInput(value);
  return fast === undefined
    ? eventInputSchema.safeParse(value)
    : ({ success: true, data: fast } as ReturnType<typeof eventInputSchema.safeParse>);
}
