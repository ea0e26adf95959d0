import { element } from "../elements.ts";
import { formatCount } from "../format.ts";
import type { ViewFilter } from "../url-state.ts";
import { PageGoalForm } from "./page-goal-form.ts";
import { type QueryContext, requestFor, runQuery } from "./query.ts";
import { renderRows } from "./rows.ts";

const GOALS_SHOWN = 20;
const PROPERTY_ROWS = 10;
const PROPERTY_NAME = /^[^\s:]{1,64}$/;

const percent = (value: number) => `${value.toFixed(2)}%`;

/**
 * Each goal (every custom event name, and each page goal) with its visitors, conversions and
 * conversion rate. Clicking one opens its property breakdown: the query endpoint has no way to
 * list a goal's property names, so the panel asks which property to break it down by (a text
 * field, remembering the last name used), then asks for `prop:<name>` under a `goal` filter.
 */
export class GoalsPanel {
  readonly card: HTMLElement;
  private readonly list = element("ol", { class: "history-rows", "data-testid": "goals-rows" });
  private readonly detail = element("div", { class: "goal-detail", "data-testid": "goal-detail" });
  private readonly detailTitle = element("h3", { "data-testid": "goal-detail-title" });
  private readonly propertyInput = element("input", {
    type: "text",
    "data-testid": "goal-property-input",
    placeholder: "e.g. plan",
    maxlength: "64",
    spellcheck: "false",
    autocomplete: "off",
  });
  private readonly propertyRows = element("ol", {
    class: "history-rows",
    "data-testid": "goal-property-rows",
  });
  private context: QueryContext | undefined;
  private goal: string | undefined;
  private asked = 0;
  private askedProperty = 0;

  constructor(private readonly onFilter: (filter: ViewFilter) => void) {
    this.detail.hidden = true;
    const form = element(
      "form",
      { class: "goal-property-form", "data-testid": "goal-property-form" },
      element("label", {}, "Break down by property", this.propertyInput),
      element("button", { type: "submit", "data-testid": "goal-property-submit" }, "Break down"),
      element(
        "button",
        { type: "button", class: "quiet", "data-testid": "goal-detail-close" },
        "Close",
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.loadProperty();
    });
    form.querySelector("[data-testid=goal-detail-close]")?.addEventListener("click", () => {
      this.goal = undefined;
      this.detail.hidden = true;
    });
    this.detail.append(this.detailTitle, form, this.propertyRows);
    this.list.addEventListener("click", (event) => {
      const row = (event.target as Element).closest<HTMLButtonElement>("button.history-row");
      if (row?.dataset.value !== undefined) this.open(row.dataset.value);
    });
    this.propertyRows.addEventListener("click", (event) => {
      const row = (event.target as Element).closest<HTMLButtonElement>("button.history-row");
      const name = this.propertyRows.dataset.property;
      if (row && !row.disabled && row.dataset.value !== undefined && name) {
        this.onFilter({ dimension: `prop:${name}`, value: row.dataset.value });
      }
    });
    const pageGoal = new PageGoalForm(
      () => this.context,
      () => {
        if (this.context) void this.load(this.context);
      },
    );
    this.card = element(
      "section",
      { class: "card history-panel", "data-testid": "goals-panel" },
      element("div", { class: "card-head" }, element("h2", {}, "Goals")),
      this.list,
      this.detail,
      pageGoal.form,
    );
  }

  async load(context: QueryContext): Promise<void> {
    this.context = context;
    const asked = ++this.asked;
    this.card.dataset.loading = "true";
    const answer = await runQuery(
      context.token,
      requestFor(context, {
        metrics: ["visitors", "events", "conversion_rate"],
        dimensions: ["goal"],
        limit: GOALS_SHOWN,
      }),
    );
    if (asked !== this.asked) return;
    this.card.dataset.loading = "false";
    renderRows(this.list, answer.ok ? answer.body.results : [], {
      testId: "goal-row",
      columns: [
        { label: "Visitors" },
        { label: "Conversions", format: formatCount },
        { label: "CR", format: percent },
      ],
      clickable: () => true,
      emptyText: answer.ok
        ? "No goals in this range: custom events and page goals show here."
        : "Could not load the goals.",
    });
    if (this.goal !== undefined && this.propertyRows.dataset.property) void this.loadProperty();
  }

  private open(goal: string): void {
    this.goal = goal;
    this.detail.hidden = false;
    this.detailTitle.textContent = goal;
    for (const row of this.list.querySelectorAll<HTMLButtonElement>("button.history-row")) {
      row.setAttribute("aria-pressed", String(row.dataset.value === goal));
    }
    this.propertyRows.replaceChildren();
    delete this.propertyRows.dataset.property;
    if (this.propertyInput.value.trim() !== "") void this.loadProperty();
    else this.propertyInput.focus();
  }

  private async loadProperty(): Promise<void> {
    const { context, goal } = this;
    const name = this.propertyInput.value.trim();
    if (context === undefined || goal === undefined) return;
    if (!PROPERTY_NAME.test(name)) {
      this.propertyRows.replaceChildren(
        element("li", { class: "empty" }, "A property name has no spaces or colons."),
      );
      return;
    }
    const asked = ++this.askedProperty;
    const answer = await runQuery(
      context.token,
      requestFor(context, {
        metrics: ["visitors", "events"],
        dimensions: [`prop:${name}`],
        filters: [["is", "goal", [goal]]],
        limit: PROPERTY_ROWS,
      }),
    );
    if (asked !== this.askedProperty) return;
    this.propertyRows.dataset.property = name;
    renderRows(this.propertyRows, answer.ok ? answer.body.results : [], {
      testId: "goal-property-row",
      columns: [{ label: "Visitors" }, { label: "Events" }],
      emptyText: answer.ok
        ? `No "${name}" property on ${goal} in this range.`
        : (answer.message ?? "Could not load this breakdown."),
    });
  }
}
