import { describe, expect, test } from "bun:test";
import { timeDimension } from "../../dashboard/history/ranges.ts";
import {
  DEFAULT_RANGE,
  formatViewState,
  parseViewState,
  type ViewState,
  withFilter,
  withoutFilter,
} from "../../dashboard/url-state.ts";

const history: ViewState = {
  view: "history",
  site: "shop.example",
  range: "30d",
  filters: [
    { dimension: "country", value: "US" },
    { dimension: "page", value: "/pricing?x=1&y=2" },
    { dimension: "prop:plan", value: "pro plan" },
  ],
  live: {},
};

describe("the view in the address", () => {
  test("an empty address is the Live view of every site, with the default range and no filter", () => {
    expect(parseViewState("")).toEqual({
      view: "live",
      range: DEFAULT_RANGE,
      filters: [],
      live: {},
    });
    expect(formatViewState(parseViewState(""))).toBe("");
  });

  test("a History view with its site, range and filters reads back as it was written", () => {
    const search = formatViewState(history);
    expect(search).toBe(
      "?view=history&site=shop.example&range=30d&f.country=US&f.page=%2Fpricing%3Fx%3D1%26y%3D2&f.prop%3Aplan=pro+plan",
    );
    expect(parseViewState(search)).toEqual(history);
  });

  test("the Live view keeps its country and page filter and its site", () => {
    const live: ViewState = {
      view: "live",
      site: "blog.example",
      range: DEFAULT_RANGE,
      filters: [],
      live: { country: "India", page: "/in" },
    };
    expect(formatViewState(live)).toBe("?site=blog.example&country=India&page=%2Fin");
    expect(parseViewState(formatViewState(live))).toEqual(live);
  });

  test("unknown views, ranges and filter dimensions are left out, and blank values ignored", () => {
    const state = parseViewState(
      "?view=admin&range=5y&f.password=x&f.country=&f.prop:bad%20name=1&f.browser=Firefox&site=%20",
    );
    expect(state).toEqual({
      view: "live",
      range: DEFAULT_RANGE,
      filters: [{ dimension: "browser", value: "Firefox" }],
      live: {},
    });
  });

  test("a filter repeated in the address counts once", () => {
    const state = parseViewState("?view=history&f.country=US&f.country=US");
    expect(state.filters).toEqual([{ dimension: "country", value: "US" }]);
  });

  test("a new filter on a dimension replaces the old one; removing takes only that one out", () => {
    const us = { dimension: "country", value: "US" };
    const gb = { dimension: "country", value: "GB" };
    const page = { dimension: "page", value: "/" };
    expect(withFilter([us, page], gb)).toEqual([page, gb]);
    expect(withoutFilter([us, page], us)).toEqual([page]);
  });
});

describe("the chart's buckets", () => {
  test("hours for a day, days up to a month, months beyond", () => {
    expect(timeDimension("day")).toBe("time:hour");
    expect(["7d", "30d", "month"].map((range) => timeDimension(range as "7d"))).toEqual([
      "time:day",
      "time:day",
      "time:day",
    ]);
    expect(timeDimension("12mo")).toBe("time:month");
    expect(timeDimension("all")).toBe("time:month");
  });
});
