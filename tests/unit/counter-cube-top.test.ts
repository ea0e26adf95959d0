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
