import { describe, expect, test } from "bun:test";
import { BodyDeadlines } from "../../middlewares/body-deadline.ts";

const never = () => new Promise<string>(() => {});
const expired = (name: string) => () => new Error(`${name} expired`);

describe("BodyDeadlines", () => {
  test("a read that settles in time gives its value, and nothing stays pending", async () => {
    const deadlines = new BodyDeadlines(1000);
    expect(await deadlines.within(Promise.resolve("body"), expired("a"))).toBe("body");
    expect(deadlines.pending).toBe(0);
  });

  test("a read that fails in time gives its own error", async () => {
    const deadlines = new BodyDeadlines(1000);
    const failing = Promise.reject(new Error("socket closed"));
    await expect(deadlines.within(failing, expired("a"))).rejects.toThrow("socket closed");
    expect(deadlines.pending).toBe(0);
  });

  test("reads that never settle are refused with their own error, oldest first", async () => {
    const deadlines = new BodyDeadlines(20);
    const order: string[] = [];
    const first = deadlines.within(never(), expired("first")).catch((error: Error) => {
      order.push(error.message);
    });
    await Bun.sleep(5);
    const second = deadlines.within(never(), expired("second")).catch((error: Error) => {
      order.push(error.message);
    });
    const quick = deadlines.within(Promise.resolve("quick"), expired("quick"));
    expect(await quick).toBe("quick");
    await Promise.all([first, second]);
    expect(order).toEqual(["first expired", "second expired"]);
    expect(deadlines.pending).toBe(0);
  });

  test("a read is not refused before its own deadline when an older one expires", async () => {
    let now = 0;
    const deadlines = new BodyDeadlines(10, () => now);
    const outcomes: string[] = [];
    void deadlines.within(never(), expired("old")).catch(() => outcomes.push("old"));
    now = 8;
    const { promise, resolve } = Promise.withResolvers<string>();
    const young = deadlines.within(promise, expired("young")).then(
      (value) => outcomes.push(value),
      () => outcomes.push("young refused"),
    );
    now = 11;
    // The timer fires (after ~10 ms of real time): "old" is past its deadline, "young" is not.
    await Bun.sleep(30);
    expect(outcomes).toEqual(["old"]);
    expect(deadlines.pending).toBe(1);
    resolve("young arrived");
    await young;
    expect(outcomes).toEqual(["old", "young arrived"]);
  });
});
