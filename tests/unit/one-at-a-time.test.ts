import { expect, test } from "bun:test";
import { oneAtATime } from "../../services/one-at-a-time.ts";

function deferredRuns() {
  const finishers: (() => void)[] = [];
  const failers: ((error: Error) => void)[] = [];
  const run = oneAtATime(
    () =>
      new Promise<number>((resolve, reject) => {
        const number = finishers.length + 1;
        finishers.push(() => resolve(number));
        failers.push(reject);
      }),
  );
  return { run, finishers, failers };
}

test("a call while the previous run is going joins it instead of starting another", async () => {
  const { run, finishers } = deferredRuns();
  const first = run();
  const second = run();
  expect(second).toBe(first);
  expect(finishers).toHaveLength(1);
  finishers[0]?.();
  expect(await second).toBe(1);
});

test("once a run has settled, the next call runs again", async () => {
  const { run, finishers } = deferredRuns();
  const first = run();
  finishers[0]?.();
  await first;
  const next = run();
  expect(finishers).toHaveLength(2);
  finishers[1]?.();
  expect(await next).toBe(2);
});

test("a failed run does not block the next one", async () => {
  const { run, finishers, failers } = deferredRuns();
  const failing = run();
  failers[0]?.(new Error("disk full"));
  await expect(failing).rejects.toThrow("disk full");
  const next = run();
  expect(finishers).toHaveLength(2);
  finishers[1]?.();
  expect(await next).toBe(2);
});
