import type { Database } from "bun:sqlite";
import type { SQL } from "bun";
import type { Services } from "../container.ts";
import { type HistoryDatabase, SqliteHistoryDatabase } from "../storage/history-database.ts";
import { AlertHistory } from "./alert-history.ts";
import { DeliveryLog } from "./delivery-log.ts";
import { DestinationStore } from "./destination-store.ts";
import { MigratedPostgresDatabase } from "./postgres-alerting-schema.ts";
import { type RuleDefaults, RuleStore } from "./rule-store.ts";

/** Where alerting keeps its rules, destinations, history and delivery log. */
export interface AlertingStores {
  readonly rules: RuleStore;
  readonly destinations: DestinationStore;
  readonly history: AlertHistory;
  readonly deliveries: DeliveryLog;
  /**
   * Shared by several instances (a cluster's Postgres): rules are reloaded from it now and then
   * (another instance may have changed them), an alert another instance recorded first is still
   * shown on this one's dashboards, and deliveries are claimed for a lease.
   */
  readonly shared: boolean;
}

/** The four stores over one database, as the seam reaches it. */
export function alertingStores(
  database: HistoryDatabase,
  defaults: RuleDefaults,
  shared: boolean,
): AlertingStores {
  return {
    rules: new RuleStore(database, defaults),
    destinations: new DestinationStore(database),
    history: new AlertHistory(database),
    deliveries: new DeliveryLog(database, { shared }),
    shared,
  };
}

/** One process: the tables of SQLite's migration 9 (the connection asked for each statement). */
export function sqliteAlertingStores(db: () => Database, defaults: RuleDefaults): AlertingStores {
  return alertingStores(new SqliteHistoryDatabase(db), defaults, false);
}

/** A cluster: the shared Postgres, its alerting tables created on first use. */
export function postgresAlertingStores(sql: SQL, defaults: RuleDefaults): AlertingStores {
  return alertingStores(new MigratedPostgresDatabase(sql), defaults, true);
}

/**
 * The stores for these services: in cluster mode (`services.cluster`) the Postgres every instance
 * shares, so a rule, a destination, an alert or a delivery is the same whichever instance is
 * asked; SQLite otherwise. Rules' defaults are the server's ALERT_THRESHOLD and
 * ALERT_COOLDOWN_SECONDS.
 */
export function alertingStoresFor(services: Services): AlertingStores {
  const { config, cluster, database } = services;
  const defaults: RuleDefaults = {
    threshold: config.alertThreshold,
    cooldownSeconds: config.alertCooldownMs / 1000,
  };
  return cluster
    ? postgresAlertingStores(cluster.sql, defaults)
    : sqliteAlertingStores(() => database.db, defaults);
}
