// The fields a visit keeps of its events, named once: the live session, the `sessions` table
// (SQLite and Postgres), the archived-session reader and the dashboard all use these lists.

/** What a visit keeps of its first event that carries it (a later event fills any left empty). */
export const VISIT_FIELDS = [
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "browser",
  "os",
  "region",
  "city",
] as const;

/** The visit's text columns in `sessions`: its source, then the fields above. */
export const VISIT_TEXT_COLUMNS = ["source", ...VISIT_FIELDS] as const;

/** What a session row or frame may say of its visit beside its pages: the text columns and the title. */
export const VISIT_DESCRIPTION = ["source", "title", ...VISIT_FIELDS] as const;
