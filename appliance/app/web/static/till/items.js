/* The till: the item buttons. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { fmt, newSale } from "./sale.js";
import { acceptScan } from "./scanners.js";
import { closeFind, priceWords } from "./search.js";
import { pickProduct } from "./weight.js";

export const grid = { tabs: [], tab: 0 };

function showTab(index, { focus = false } = {}) {
  grid.tab = index;
  const tabs = [...$("items-tabs").children];
  tabs.forEach((tab, i) => {
    tab.setAttribute("aria-selected", i === index ? "true" : "false");
    tab.tabIndex = i === index ? 0 : -1;
  });
  const panel = $("items-panel");
  const current = grid.tabs[index];
  if (!current) {
    panel.replaceChildren();
    return;
  }
  panel.setAttribute("aria-labelledby", `items-tab-${index}`);
  panel.replaceChildren(...current.products.map((p) => el("button", {
    type: "button", class: "item-button", "data-sku": p.sku,
  }, el("span", { class: "item-name" }, p.name), el("span", { class: "item-price" }, priceWords(p)))));
  if (!current.products.length) panel.append(el("p", { class: "empty-small" }, C.t("till.no_items_on_tab")));
  if (focus) tabs[index].focus();
}

export async function openItems() {
  say($("items-error"), "");
  say($("items-done"), "");
  C.openDialog($("items-dialog"), $("items-dialog").querySelector(".close-dialog"));
  try {
    grid.tabs = (await api("GET", "/item-grid")).tabs.filter((t) => t.products.length);
  } catch (err) {
    grid.tabs = [];
    say($("items-error"), err.message);
  }
  $("items-tabs").replaceChildren(...grid.tabs.map((t, i) => el("button", {
    type: "button", role: "tab", id: `items-tab-${i}`, "aria-controls": "items-panel", "aria-selected": "false",
    tabindex: "-1", class: "items-tab",
  }, t.category)));
  C.show($("items-empty"), !grid.tabs.length && !$("items-error").textContent);
  C.show($("items-panel"), grid.tabs.length > 0);
  C.show($("items-tabs"), grid.tabs.length > 0);
  showTab(Math.min(grid.tab, Math.max(grid.tabs.length - 1, 0)), { focus: grid.tabs.length > 0 });
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("items-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) showTab([...$("items-tabs").children].indexOf(tab), { focus: true });
  });
  $("items-tabs").addEventListener("keydown", (event) => {
    const n = grid.tabs.length;
    const moves = { ArrowRight: grid.tab + 1, ArrowLeft: grid.tab - 1, Home: 0, End: n - 1 };
    if (!n || !(event.key in moves)) return;
    event.preventDefault();
    showTab((moves[event.key] + n) % n, { focus: true });
  });
  $("items-panel").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-sku]");
    if (!button) return;
    const product = grid.tabs[grid.tab].products.find((p) => p.sku === button.dataset.sku);
    if (!product) return;
    say($("items-error"), "");
    await pickProduct(product);
    const error = $("sale-error").hidden ? "" : $("sale-error").textContent;
    if (error) say($("items-error"), error);
    else if (state.sale) say($("items-done"), C.t("till.item_added", { name: product.name, total: fmt(state.sale.totals.total) }));
    if ($("items-dialog").open) button.focus();
  });

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("scan-input");
    const text = input.value.trim();
    input.value = "";
    closeFind();
    if (!text) {
      if (state.done) newSale(); // Enter on the receipt screen starts the next sale
      return;
    }
    acceptScan(text); // a receipt's barcode opens the return; anything else is an item
  });
}
