import { element } from "../elements.ts";
import type { ViewFilter } from "../url-state.ts";
import { type QueryContext, requestFor, runQuery } from "./query.ts";
import { type RowColumn, renderRows } from "./rows.ts";

export interface BreakdownTab {
  dimension: string;
  label: string;
}

export interface BreakdownConfig {
  /** The panel's `data-testid`; its rows are `<testId>-row`, its tabs `<testId>-tab-<dimension>`. */
  testId: string;
  title: string;
  tabs: BreakdownTab[];
  metrics: string[];
  columns: RowColumn[];
  label?: (value: string) => string;
}

const ROWS = 10;

/**
 * One card of the History view: the top values of a dimension (tabs pick which), each row a
 * button that filters the whole view by its value.
 */
export class BreakdownPanel {
  readonly card: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly tabButtons: HTMLButtonElement[];
  private tab: BreakdownTab;
  private context: QueryContext | undefined;
  private asked = 0;

  constructor(
    private readonly config: BreakdownConfig,
    private readonly onFilter: (filter: ViewFilter) => void,
  ) {
    const first = config.tabs[0];
    if (!first) throw new Error(`The ${config.title} panel has no tabs`);
    this.tab = first;
    this.tabButtons = config.tabs.map((tab) => {
      const button = element(
        "button",
        {
          type: "button",
          "data-testid": `${config.testId}-tab-${tab.dimension}`,
          "aria-pressed": String(tab === first),
        },
        tab.label,
      );
      button.addEventListener("click", () => this.pick(tab));
      return button;
    });
    this.list = element("ol", { class: "history-rows", "data-testid": `${config.testId}-rows` });
    this.list.addEventListener("click", (event) => {
      const row = (event.target as Element).closest<HTMLButtonElement>("button.history-row");
      const value = row?.dataset.value;
      if (row && !row.disabled && value !== undefined) {
        this.onFilter({ dimension: this.tab.dimension, value });
      }
    });
    const tabs =
      config.tabs.length > 1
        ? element("div", { class: "tabs", role: "group", "aria-label": config.title })
        : undefined;
    tabs?.append(...this.tabButtons);
    this.card = element(
      "section",
      { class: "card history-panel", "data-testid": config.testId },
      element("div", { class: "card-head" }, element("h2", {}, config.title), tabs),
      this.list,
    );
  }

  /** Asks for the rows of the current tab under `context`; a later call wins over an earlier. */
  async load(context: QueryContext): Promise<void> {
    this.context = context;
    const asked = ++this.asked;
    const { tab, config } = this;
    this.card.dataset.loading = "true";
    const answer = await runQuery(
      context.token,
      requestFor(context, { metrics: config.metrics, dimensions: [tab.dimension], limit: ROWS }),
    );
    if (asked !== this.asked) return;
    this.card.dataset.loading = "false";
    if (!answer.ok) {
      renderRows(this.list, [], { ...this.rowOptions(), emptyText: "Could not load this." });
      return;
    }
    renderRows(this.list, answer.body.results, this.rowOptions());
  }

  private rowOptions() {
    const { config } = this;
    return {
      testId: `${config.testId}-row`,
      columns: config.columns,
      label: config.label,
      emptyText: "Nothing in this range.",
    };
  }

  private pick(tab: BreakdownTab): void {
    if (tab === this.tab) return;
    this.tab = tab;
    for (const [index, button] of this.tabButtons.entries()) {
      button.setAttribute("aria-pressed", String(this.config.tabs[index] === tab));
    }
    if (this.context) void this.load(this.context);
  }
}
