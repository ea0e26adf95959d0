import { z } from "zod";

/**
 * Lone surrogates (`"\ud800"` in JSON) become U+FFFD here, before anything counts them: SQLite
 * stores text as UTF-8, which cannot hold them, so keeping them live would let a restart merge
 * what the live state kept apart.
 */
const wellFormed = (value: string) => value.toWellFormed();

const CONTROL = /^\P{Cc}*$/u;
/** Zero-width and bidirectional controls (U+200B, U+202E, ...): they forge look-alike labels. */
const FORMAT = /^\P{Cf}*$/u;

/** Both rules above as one pattern, for the API document (its generator keeps one regex, with flags). */
const PRINTABLE_PATTERN = "^[^\\p{Cc}\\p{Cf}]*$";
/** Neither a control nor a format character (a fast check before the schemas word the refusal). */
export const PRINTABLE = new RegExp(PRINTABLE_PATTERN, "u");

/**
 * A trimmed, printable label (counter keys, identifiers): control and invisible format
 * characters are refused, so they cannot forge keys that look like others.
 */
export const label = (max: number) =>
  z
    .string()
    .overwrite(wellFormed)
    .trim()
    .min(1)
    .max(max)
    .regex(CONTROL, { message: "must not contain control characters" })
    .regex(FORMAT, {
      message: "must not contain invisible format characters (zero-width, bidirectional controls)",
    })
    .meta({ pattern: PRINTABLE_PATTERN });

/** A property name: as sent (not trimmed), but never ill-formed, a control or a format character. */
export const key = (max: number) =>
  z
    .string()
    .overwrite(wellFormed)
    .max(max)
    .regex(CONTROL, { message: "must not contain control characters" })
    .regex(FORMAT, {
      message: "must not contain invisible format characters (zero-width, bidirectional controls)",
    })
    .meta({ pattern: PRINTABLE_PATTERN });

/** C0 controls but tab, line feed and carriage return, and DEL: NUL and the like carry no text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const C0_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const C0_CONTROLS = new RegExp(C0_CONTROL.source, "g");

/** Free text (titles, referrers, metadata values): kept as sent, less NUL and other C0 controls. */
export const text = (max: number) =>
  z
    .string()
    .overwrite((value) => wellFormed(value).replace(C0_CONTROLS, ""))
    .max(max);
