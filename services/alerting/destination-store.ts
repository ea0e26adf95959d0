import type { Destination, DestinationInput } from "../../schemas/alerting.ts";
import type { HistoryDatabase } from "../storage/history-database.ts";
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

/** Columns Postgres answers as text (BIGINT). */
const NUMBERS = ["created_at"];

/**
 * Destinations, in SQLite or (cluster mode) the shared Postgres; the secret is kept whole for
 * signing and shown only as a prefix.
 */
export class DestinationStore {
  constructor(private readonly db: HistoryDatabase) {}

  async create(input: DestinationInput, secret: string, now: number): Promise<DestinationTarget> {
    return (await this.db.get<DestinationTarget>(
      `INSERT INTO alert_destinations (name, type, url, site, secret, created_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      [input.name, input.type, input.url, input.site ?? null, secret, now],
      NUMBERS,
    )) as DestinationTarget;
  }

  get(id: number): Promise<DestinationTarget | undefined> {
    return this.db.get<DestinationTarget>(
      "SELECT * FROM alert_destinations WHERE id = ?",
      [id],
      NUMBERS,
    );
  }

  list(): Promise<DestinationTarget[]> {
    return this.db.all<DestinationTarget>(
      "SELECT * FROM alert_destinations ORDER BY id",
      [],
      NUMBERS,
    );
  }

  /** Those an alert of `site` goes to: every-site ones, and the site's own. */
  async forSite(site: string | null): Promise<DestinationTarget[]> {
    return (await this.list()).filter(
      (destination) => destination.site === null || destination.site === site,
    );
  }

  /**
   * Removes it, then its delivery log (two statements: a delivery left by a crash between them
   * finds no destination and is marked failed).
   */
  async remove(id: number): Promise<boolean> {
    const { changes } = await this.db.run("DELETE FROM alert_destinations WHERE id = ?", [id]);
    if (changes === 0) return false;
    await this.db.run("DELETE FROM alert_deliveries WHERE destination_id = ?", [id]);
    return true;
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
