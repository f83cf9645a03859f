/* The menu of items without a barcode, a group per category. */
import { $, closeDialog, openDialog } from "../comptoir.js";
import { money } from "./kiosk.js";
import { addItem } from "./sale.js";
import { state } from "./state.js";
import { t } from "./words.js";

/** What the menu shows: the products without a barcode (else all), never one sold by weight,
 * grouped by category (`other` for none), the groups in order: [[category, products]…]. */
export function menuGroups(products, other) {
  const unbarcoded = products.filter((p) => p.barcodes.length === 0 && p.sold_by !== "weight");
  const shown = unbarcoded.length ? unbarcoded : products.filter((p) => p.sold_by !== "weight");
  const groups = new Map();
  for (const p of shown) {
    const key = p.category || other;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

export function buildMenu() {
  const body = $("menu-body");
  body.replaceChildren();
  let n = 0;
  for (const [category, items] of menuGroups(state.products, t("more"))) {
    n += 1;
    const section = document.createElement("section");
    section.className = "ss-menu-group";
    const heading = document.createElement("h3");
    heading.id = "menu-cat-" + n;
    heading.textContent = category;
    const grid = document.createElement("div");
    grid.className = "ss-menu-grid";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-labelledby", heading.id);
    for (const p of items) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "ss-btn ss-item";
      button.dataset.sku = p.sku;
      const name = document.createElement("span");
      name.className = "ss-item-name";
      name.textContent = p.name;
      const price = document.createElement("span");
      price.className = "ss-item-price";
      price.textContent = money(p.price);
      button.append(name, price);
      button.addEventListener("click", () => {
        closeDialog($("menu-dialog"));
        addItem({ sku: p.sku });
      });
      grid.append(button);
    }
    section.append(heading, grid);
    body.append(section);
  }
}

export function wire() {
  $("menu-button").addEventListener("click", () => openDialog($("menu-dialog")));
}
