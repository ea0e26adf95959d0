import { apiPost } from "../api.ts";
import { element } from "../elements.ts";

/**
 * Adds a page goal (`POST /api/analytics/goals`): the visitors who viewed a page matching a path,
 * `*` matching any characters. Custom events are goals by themselves and need no form.
 */
export class PageGoalForm {
  readonly form: HTMLFormElement;
  private readonly input = element("input", {
    type: "text",
    "data-testid": "page-goal-input",
    placeholder: "/thank-you*",
    maxlength: "2048",
    spellcheck: "false",
    autocomplete: "off",
  });
  private readonly message = element("span", {
    class: "muted",
    "data-testid": "page-goal-message",
  });

  constructor(
    private readonly current: () => { token: string; site: string } | undefined,
    onAdded: () => void,
  ) {
    this.form = element(
      "form",
      { class: "goal-property-form page-goal-form", "data-testid": "page-goal-form" },
      element("label", {}, "Add a page goal", this.input),
      element("button", { type: "submit", "data-testid": "page-goal-submit" }, "Add"),
      this.message,
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add(onAdded);
    });
  }

  private async add(onAdded: () => void): Promise<void> {
    const target = this.current();
    const raw = this.input.value.trim();
    if (target === undefined || raw === "") return;
    const pagePath = raw.startsWith("/") ? raw : `/${raw}`;
    const answer = await apiPost(target.token, "/api/analytics/goals", {
      site: target.site,
      page_path: pagePath,
    });
    if (!answer.ok) {
      this.message.textContent = answer.message ?? "Could not add this goal.";
      return;
    }
    this.input.value = "";
    this.message.textContent = `Added Visit ${pagePath}.`;
    onAdded();
  }
}
