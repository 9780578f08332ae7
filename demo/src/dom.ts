/** A tiny element builder: the demo's whole UI layer (no framework; see the README). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | number | boolean | EventListener>> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

/** The element with `id`, or an error naming it (the page and the code disagree). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

/** The tiles of a dashboard: one `.stat` per [label, value], value above label. */
export function statTiles(cells: readonly (readonly [string, string])[]): HTMLElement[] {
  return cells.map(([label, value]) =>
    h(
      "div",
      { class: "stat", "data-stat": label },
      h("span", { class: "stat-value" }, value),
      h("span", {}, label),
    ),
  );
}
