/* The till: finding a product by name, in the scan field. */

import C, { $, api, el } from "../comptoir.js";
import { announce, fmt } from "./sale.js";
import { pickProduct } from "./weight.js";

const find = { timer: null, results: [], active: -1, seq: 0 };
const QUANTITY_PREFIX = /^\d{1,4}\s*[*xX]/;

export function closeFind() {
  clearTimeout(find.timer);
  find.seq += 1; // an answer still on its way is dropped
  find.results = [];
  find.active = -1;
  $("find-list").replaceChildren();
  C.show($("find-box"), false);
  const input = $("scan-input");
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

export function priceWords(p) {
  return p.sold_by === "weight" ? `${fmt(p.price)}/kg` : fmt(p.price);
}

function showFind(products, note) {
  find.results = products;
  find.active = -1;
  const list = $("find-list");
  list.replaceChildren(...products.map((p, i) => el("li", {
    id: `find-option-${i}`, role: "option", "aria-selected": "false", class: "find-option", "data-i": String(i),
  }, el("span", { class: "find-name" }, p.name), " ", el("span", { class: "find-price" }, priceWords(p)))));
  $("find-note").textContent = note;
  C.show($("find-box"), true);
  const input = $("scan-input");
  input.setAttribute("aria-expanded", products.length ? "true" : "false");
  input.removeAttribute("aria-activedescendant");
  announce(note);
}

function moveFind(step) {
  const n = find.results.length;
  if (!n) return;
  find.active = find.active < 0 ? (step > 0 ? 0 : n - 1) : (find.active + step + n) % n;
  for (const option of $("find-list").children) {
    const on = Number(option.dataset.i) === find.active;
    option.setAttribute("aria-selected", on ? "true" : "false");
    if (on) option.scrollIntoView({ block: "nearest" });
  }
  $("scan-input").setAttribute("aria-activedescendant", `find-option-${find.active}`);
}

function pickFound(i) {
  const product = find.results[i];
  if (!product) return;
  $("scan-input").value = "";
  closeFind();
  pickProduct(product);
}

async function runFind(text) {
  const seq = ++find.seq;
  try {
    const found = await api("GET", `/products?q=${encodeURIComponent(text)}&limit=8`);
    if (seq !== find.seq) return;
    const products = found.products;
    showFind(products, products.length
      ? (products.length === 1 ? C.t("till.found_one") : C.t("till.found_many", { count: products.length }))
      : C.t("till.found_none", { text }));
  } catch (err) {
    if (seq === find.seq) showFind([], err.message);
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("scan-input").addEventListener("input", () => {
    clearTimeout(find.timer);
    const text = $("scan-input").value.trim();
    if (!/\p{L}/u.test(text) || QUANTITY_PREFIX.test(text)) {
      closeFind();
      return;
    }
    if (text.length < 3) {
      find.seq += 1;
      showFind([], C.t("till.find_three_letters"));
      return;
    }
    find.timer = setTimeout(() => runFind(text), 150);
  });

  // Before the till's own keys (the arrows choose a line when no list is open).
  $("scan-input").addEventListener("keydown", (event) => {
    if ($("find-box").hidden) return;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && find.results.length) {
      event.preventDefault();
      event.stopPropagation();
      moveFind(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && (find.active >= 0 || find.results.length === 1)) {
      // The one chosen, or the only one found; else Enter adds the text as a code (a sku).
      event.preventDefault();
      event.stopPropagation();
      pickFound(Math.max(find.active, 0));
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeFind();
    }
  });
  $("scan-input").addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== $("scan-input")) closeFind();
  }, 0));
  $("find-list").addEventListener("mousedown", (event) => event.preventDefault()); // the field keeps the focus
  $("find-list").addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) pickFound(Number(option.dataset.i));
  });
}
