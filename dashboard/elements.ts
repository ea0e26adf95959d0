type Child = Node | string | undefined | false;

/**
 * Creates an element. Text always goes in as text (never as HTML): pages, countries and session
 * ids come from whoever posts events, which is anyone.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== false) node.append(child);
  return node;
}

/** Fills a list with one item per entry, or with a single placeholder item when there are none. */
export function renderList<T>(
  list: HTMLElement,
  items: readonly T[],
  emptyText: string,
  renderItem: (item: T) => HTMLLIElement,
): void {
  if (items.length === 0) list.replaceChildren(element("li", { class: "empty" }, emptyText));
  else list.replaceChildren(...items.map(renderItem));
}

/** The page's element with this `data-testid`; the HTML is ours, so a missing one is a bug. */
export function byTestId<T extends HTMLElement = HTMLElement>(
  testId: string,
  root: ParentNode = document,
): T {
  const found = root.querySelector<T>(`[data-testid="${testId}"]`);
  if (!found) throw new Error(`The page has no [data-testid="${testId}"]`);
  return found;
}
