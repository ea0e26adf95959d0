import type { Logger } from "./logger.ts";
import type { Pipeline } from "./pipeline/pipeline.ts";
import type { Storage } from "./storage/storage.ts";

/** Replay logs its progress this often, so a long start-up is never silent. */
const REPLAY_PROGRESS_MS = 1000;

/**
 * A single process's start-up: the latest snapshot in SQLite, then every event logged after it,
 * through the pipeline's projections.
 */
export function restoreFromSqlite(database: Storage, pipeline: Pipeline, logger: Logger) {
  const started = performance.now();
  const snapshot = database.latestSnapshot();
  const position = snapshot?.position ?? 0;
  if (snapshot) pipeline.importState(snapshot.state as Record<string, unknown>, position);
  logger.info(
    { from_snapshot: snapshot !== undefined, after_event_id: position },
    "replaying the event log",
  );
  let lastProgress = performance.now();
  const replayedEvents = pipeline.replay(database.log, position, (replayed) => {
    if (performance.now() - lastProgress < REPLAY_PROGRESS_MS) return;
    lastProgress = performance.now();
    logger.info(
      { replayed_events: replayed, ms: Math.round(lastProgress - started) },
      "replaying the event log",
    );
  });
  return {
    fromSnapshot: snapshot !== undefined,
    replayedEvents,
    ms: Math.round(performance.now() - started),
  };
}
