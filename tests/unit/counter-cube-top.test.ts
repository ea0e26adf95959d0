import { expect, test } from "bun:test";
import { CounterCube } from "../../services/counter-cube.ts";

/** The top `size` pages by one full sort: most counted first, ties by name. */
function sortedTop(cube: CounterCube, size: number) {
  return [...cube.pages({})]
    .filter(([page]) => page !== "(other)")
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size);
}

test("the ranked top pages are always those a full sort gives, however evenly pages are viewed", () => {
  const cube = new CounterCube({ topPages: 10 });
  let state = 11;
  for (let view = 0; view < 20_000; view++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    // Half the views spread evenly over 300 pages (the ranking churns), half on a few.
    const page = view % 2 === 0 ? `/even/${state % 300}` : `/hot/${state % 7}`;
    cube.add({ site: "s", country: "US", page }, 1);
    if (view % 101 === 0) expect(cube.topPages({})).toEqual(sortedTop(cube, 10));
  }
  expect(cube.topPages({ site: "s" })).toEqual(sortedTop(cube, 10));
});

test("a level read for the first time after it grew past the top size ranks as a full sort does", () => {
  const cube = new CounterCube({ topPages: 5 });
  for (let view = 0; view < 2_000; view++) {
    cube.add({ site: `s${view % 3}`, country: `C${view % 4}`, page: `/p/${(view * 7) % 40}` }, 1);
  }
  // No level was read while counting: each is ranked from its counts when first asked.
  for (const filter of [{}, { site: "s1" }, { country: "C2" }, { site: "s0", country: "C0" }]) {
    const full = [...cube.pages(filter)]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5);
    expect(cube.topPages(filter)).toEqual(full);
  }
  // And then follows the counts as they grow.
  for (let view = 0; view < 60; view++) cube.add({ site: "s1", country: "C3", page: "/late" }, 1);
  expect(cube.topPages({ site: "s1" })[0]).toEqual(["/late", 60]);
  expect(cube.topPages({})[0]).toEqual(["/late", 60]);
});

test("adding says whether the combination was new, and an emptied level counts afresh", () => {
  const cube = new CounterCube({ topPages: 2 });
  const at = (page: string) => ({ site: "a", country: "ES", page });
  expect(cube.add(at("/x"), 1)).toBe(true);
  expect(cube.add(at("/x"), 1)).toBe(false);
  expect(cube.add({ site: "a", country: "FR", page: "/x" }, 1)).toBe(true);
  for (const page of ["/y", "/z"]) cube.add(at(page), 1);
  expect(cube.topPages({ site: "a", country: "ES" })).toEqual([
    ["/x", 2],
    ["/y", 1],
  ]);
  // Every count at (a, ES) falls to zero: the level goes, and what comes next starts it again.
  cube.add(at("/x"), -2);
  cube.add(at("/y"), -1);
  cube.add(at("/z"), -1);
  expect(cube.get({ site: "a", country: "ES" })).toBe(0);
  expect(cube.topPages({ site: "a", country: "ES" })).toEqual([]);
  expect(cube.add(at("/w"), 3)).toBe(true);
  expect(cube.topPages({ site: "a", country: "ES" })).toEqual([["/w", 3]]);
  expect(cube.topPages({ site: "a" })).toEqual([
    ["/w", 3],
    ["/x", 1],
  ]);
  // Exported in the order the levels were (re)made.
  expect([...cube.exactEntries()]).toEqual([
    [{ site: "a", country: "FR", page: "/x" }, 1],
    [{ site: "a", country: "ES", page: "/w" }, 3],
  ]);
});

test("a count that falls at a ranked level is ranked again from the counts when next read", () => {
  const cube = new CounterCube({ topPages: 2 });
  for (const [page, views] of [
    ["/a", 5],
    ["/b", 4],
    ["/c", 3],
  ] as const)
    cube.add({ site: "s", country: "US", page }, views);
  expect(cube.topPages({})).toEqual([
    ["/a", 5],
    ["/b", 4],
  ]);
  cube.add({ site: "s", country: "US", page: "/a" }, -4);
  expect(cube.topPages({})).toEqual([
    ["/b", 4],
    ["/c", 3],
  ]);
  cube.add({ site: "s", country: "US", page: "/a" }, 9);
  expect(cube.topPages({})).toEqual([
    ["/a", 10],
    ["/b", 4],
  ]);
});
