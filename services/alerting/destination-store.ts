import type { Database } from "bun:sqlite";
import type { Destination, DestinationInput } from "../../schemas/alerting.ts";
import type { DestinationType } from "./destination-formats.ts";
import { secretPrefix } from "./signer.ts";

/** A destination as the worker needs it: its whole URL and secret. */
export interface DestinationTarget {
  id: number;
  name: string;
  type: DestinationType;
  url: string;
  site: string | null;
  secret: string;
  created_at: number;
}

/** Destinations in SQLite; the secret is kept whole for signing and shown only as a prefix. */
export class DestinationStore {
  constructor(private readonly db: () => Database) {}

  create(input: DestinationInput, secret: string, now: number): DestinationTarget {
    return this.db()
      .query(
        `INSERT INTO alert_destinations (name, type, url, site, secret, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(input.name, input.type, input.url, input.site ?? null, secret, now) as DestinationTarget;
  }

  get(id: number): DestinationTarget | undefined {
    return (
      (this.db()
        .query("SELECT * FROM alert_destinations WHERE id = ?")
        .get(id) as DestinationTarget | null) ?? undefined
    );
  }

  list(): DestinationTarget[] {
    return this.db()
      .query("SELECT * FROM alert_destinations ORDER BY id")
      .all() as DestinationTarget[];
  }

  /** Those an alert of `site` goes to: every-site ones, and the site's own. */
  forSite(site: string | null): DestinationTarget[] {
    return this.list().filter(
      (destination) => destination.site === null || destination.site === site,
    );
  }

  /** Removes it and its delivery log. */
  remove(id: number): boolean {
    const db = this.db();
    return db.transaction(() => {
      db.query("DELETE FROM alert_deliveries WHERE destination_id = ?").run(id);
      return db.query("DELETE FROM alert_destinations WHERE id = ?").run(id).changes > 0;
    })();
  }
}

/**
 * A destination as the API shows it: the secret as a prefix, and the URL without its path and
 * query (Slack's and Discord's webhook URLs are secrets themselves).
 */
export function publicView(
  destination: DestinationTarget,
  lastDelivery: Destination["last_delivery"],
): Destination {
  return {
    id: destination.id,
    name: destination.name,
    type: destination.type,
    url: maskedUrl(destination.url),
    site: destination.site,
    secret_prefix: secretPrefix(destination.secret),
    created_at: new Date(destination.created_at).toISOString(),
    last_delivery: lastDelivery,
  };
}

function maskedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return url.pathname === "/" && url.search === "" ? url.origin : `${url.origin}/…`;
  } catch {
    return "…";
  }
}
