/**
 * `run` made single-flight: a call while the previous run is still going gets that run's promise
 * instead of starting a second one; the next call after it settles (or fails) runs again.
 */
export function oneAtATime<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
}
