/* The till's item buttons: a tab per category, its products in order, arranged here and saved
 * whole. What is arranged stays on screen until saved (a change of language redraws it). */
import C, { $, api, el, say } from "../comptoir.js";
import { fmt, rowButton, w } from "./shared.js";

const grid = { tabs: [], tab: 0, categories: [] };

/** Moves item `i` of `list` by `step` (−1 up, 1 down) in place; false when it cannot. */
export function move(list, i, step) {
  const j = i + step;
  if (j < 0 || j >= list.length) return false;
  [list[i], list[j]] = [list[j], list[i]];
  return true;
}

/** The categories without a tab yet (names compared without case). */
export function freeCategories(tabs, categories) {
  const taken = new Set(tabs.map((t) => t.category.toLowerCase()));
  return categories.filter((c) => !taken.has(c.name.toLowerCase()));
}

/** The arrangement as PUT /item-grid takes it: each tab's products by sku, in order. */
export const gridToSave = (tabs) => ({ tabs: tabs.map((t) => ({ category: t.category, products: t.products.map((p) => p.sku) })) });

/** One row of an ordered list: its words, then Up, Down and Remove, named for the row. */
function orderedRow(words, whose, list, i, redraw, extra) {
  const again = (focusWhat) => () => {
    redraw();
    const target = document.querySelector(`[aria-label="${focusWhat} ${CSS.escape(whose)}"]`);
    if (target && !target.disabled) target.focus();
  };
  const up = rowButton(w("up"), whose, () => { if (move(list, i, -1)) again(w("up"))(); });
  const down = rowButton(w("down"), whose, () => { if (move(list, i, 1)) again(w("down"))(); });
  const remove = rowButton(w("remove"), whose, () => { list.splice(i, 1); redraw(); }, "danger");
  up.disabled = i === 0;
  down.disabled = i === list.length - 1;
  return el("li", { class: "grid-row" }, el("span", { class: "grid-words" }, ...words), extra || null, up, down, remove);
}

function drawTabs() {
  const list = $("grid-tabs");
  list.replaceChildren(...grid.tabs.map((t, i) => {
    const choose = el("button", {
      type: "button", "aria-pressed": i === grid.tab ? "true" : "false",
      "aria-label": w("show_buttons_of", { category: t.category }),
      onclick: () => { grid.tab = i; drawTabs(); $("grid-products-title").focus(); },
    }, w("buttons"));
    return orderedRow([el("strong", {}, t.category), ` (${t.products.length})`], t.category, grid.tabs, i, drawTabs, choose);
  }));
  C.show($("grid-tabs-empty"), !grid.tabs.length);
  const free = freeCategories(grid.tabs, grid.categories);
  $("grid-tab-category").replaceChildren(...free.map((c) => el("option", { value: c.name }, c.name)));
  $("grid-tab-form").querySelector("button").disabled = !free.length;
  grid.tab = Math.min(grid.tab, grid.tabs.length - 1);
  drawProducts();
}

function drawProducts() {
  const tab = grid.tabs[grid.tab];
  C.show($("grid-products-card"), !!tab);
  if (!tab) return;
  $("grid-products-title").textContent = w("buttons_on", { category: tab.category });
  $("grid-products").replaceChildren(...tab.products.map((p, i) => orderedRow(
    [p.name, " ", el("span", { class: "hint" }, p.active ? fmt(p.price) : w("withdrawn_not_shown"))],
    p.name, tab.products, i, drawTabs)));
  C.show($("grid-products-empty"), !tab.products.length);
}

async function loadGrid() {
  say($("grid-error"), "");
  say($("grid-done"), "");
  try {
    const [layout, categories] = await Promise.all([api("GET", "/item-grid?withdrawn=true"), api("GET", "/categories")]);
    grid.tabs = layout.tabs.map((t) => ({ category: t.category, products: t.products }));
    grid.categories = categories.categories;
    grid.tab = 0;
  } catch (err) {
    say($("grid-error"), err.message);
  }
  drawTabs();
}

export function wire() {
  $("grid-tab-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("grid-tab-category").value;
    if (!name) return;
    grid.tabs.push({ category: name, products: [] });
    grid.tab = grid.tabs.length - 1;
    drawTabs();
    $("grid-products-title").focus();
  });

  $("grid-find-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("grid-find-q").value.trim();
    const found = $("grid-found");
    found.replaceChildren();
    if (q.length < 3) {
      $("grid-find-note").textContent = w("type_three_letters");
      return;
    }
    try {
      const answer = await api("GET", "/products?" + new URLSearchParams({ q, limit: "12" }));
      const tab = grid.tabs[grid.tab];
      found.replaceChildren(...answer.products.map((p) => {
        const on = tab.products.some((b) => b.sku === p.sku);
        const add = rowButton(on ? w("on_the_tab") : w("add"), p.name, () => {
          tab.products.push({ sku: p.sku, name: p.name, price: p.price, sold_by: p.sold_by, active: true });
          drawTabs();
          add.disabled = true;
          add.textContent = w("on_the_tab");
          $("grid-find-note").textContent = w("added_to_tab", { name: p.name, category: tab.category });
        });
        add.disabled = on;
        return el("li", { class: "grid-row" }, el("span", { class: "grid-words" }, p.name, " ",
          el("span", { class: "hint" }, `${p.sku} · ${fmt(p.price)}${p.sold_by === "weight" ? "/kg" : ""}`)), add);
      }));
      $("grid-find-note").textContent = answer.products.length
        ? w("n_found", { count: answer.products.length }) : w("no_product_on_sale_matches", { q });
    } catch (err) {
      $("grid-find-note").textContent = err.message;
    }
  });

  $("grid-save").addEventListener("click", async () => {
    say($("grid-error"), "");
    say($("grid-done"), "");
    try {
      const saved = await api("PUT", "/item-grid", { json: gridToSave(grid.tabs) });
      grid.tabs = saved.tabs.map((t) => ({ category: t.category, products: t.products }));
      drawTabs();
      say($("grid-done"), w("grid_saved"));
    } catch (err) {
      say($("grid-error"), err.message);
    }
  });
}

export const loaders = { itemgrid: loadGrid };

export const redraw = { itemgrid: drawTabs };
