import { describe, expect, test } from "bun:test";
import { IdleCollection } from "../../services/idle-collection.ts";

function collector() {
  let collections = 0;
  const idle = new IdleCollection(() => collections++, 1_000, 10);
  return { idle, collections: () => collections };
}

describe("the idle collection", () => {
  test("collects once when a burst is over, not while it lasts", () => {
    const { idle, collections } = collector();
    idle.check(0);
    idle.check(600);
    idle.check(1_200);
    expect(collections()).toBe(0);
    // Quiet: fewer than 10 events since the last check.
    expect(idle.check(1_205)).toBe(true);
    expect(collections()).toBe(1);
    idle.check(1_206);
    idle.check(1_206);
    expect(collections()).toBe(1);
  });

  test("a trickle of events never makes a burst; steady traffic never collects", () => {
    const { idle, collections } = collector();
    for (let position = 0; position < 900; position += 5) idle.check(position);
    expect(collections()).toBe(0);
    for (let position = 900; position < 100_000; position += 500) idle.check(position);
    expect(collections()).toBe(0);
  });

  test("the next burst collects again once it is over", () => {
    const { idle, collections } = collector();
    idle.check(0);
    idle.check(2_000);
    idle.check(2_000);
    idle.check(4_000);
    idle.check(4_001);
    expect(collections()).toBe(2);
  });

  test("the first check after a restore counts nothing before it", () => {
    const { idle, collections } = collector();
    idle.check(1_000_000);
    idle.check(1_000_000);
    expect(collections()).toBe(0);
  });

  test("a snapshot written while traffic is light is collected after; under steady traffic it is not", () => {
    const { idle, collections } = collector();
    expect(idle.snapshotWritten()).toBe(false); // nothing known of the traffic yet
    idle.check(0);
    idle.check(500); // steady: 500 events since the last check
    expect(idle.snapshotWritten()).toBe(false);
    expect(collections()).toBe(0);
    idle.check(503); // light: 3 events
    expect(idle.snapshotWritten()).toBe(true);
    expect(collections()).toBe(1);
  });
});
