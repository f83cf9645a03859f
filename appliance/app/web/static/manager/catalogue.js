/* The catalogue: products found and listed, categories, a product changed (only what differs
 * is sent, so that the audit log says what was changed) and a product made. */
import C, { $, api, el, say } from "../comptoir.js";
import { Problem, blame, clearBlame, fmt, notAnAmount, readOrSay, state, w } from "./shared.js";

export const TAX_CLASSES = { standard: "tax_class_standard", exempt: "tax_class_exempt" };

/** Barcodes as typed: one list, whatever separates them (spaces, commas, semicolons, bars). */
export const splitCodes = (text) => text.split(/[\s,;|]+/).filter(Boolean);

/** The list's caption: [its backoffice.* word, the values it says]. */
export function productCaption(q, count, withdrawn) {
  const some = withdrawn ? w("products_withdrawn_too") : w("products_on_sale");
  if (q) return [count >= 50 ? "products_matching_first_50" : "products_matching", { some, q, count }];
  return [count >= 50 ? "products_count_first_50" : "products_count", { some, count }];
}

/** What the edit form would change of product `p`, from what is typed in it (`typed`: the
 * fields' text, barcodes as typed); a Problem names the field it is about. */
export function productChanges(p, typed, currency) {
  const wanted = {};
  const name = typed.name.trim();
  if (!name) throw new Problem(w("give_the_product_a_name"), "e-name");
  wanted.name = name;
  const priceText = typed.price.trim();
  const price = C.parseAmount(priceText, currency);
  if (price === null) throw new Problem(notAnAmount(w("the_price"), priceText, currency), "e-price");
  wanted.price = price;
  const costText = typed.cost.trim() || "0";
  const cost = C.parseAmount(costText, currency);
  if (cost === null) throw new Problem(notAnAmount(w("the_cost"), costText, currency), "e-cost");
  wanted.cost = cost;
  wanted.tax_class = typed.tax_class;
  wanted.category = typed.category || null;
  const plu = typed.plu.trim();
  if (plu && !/^\d{4,5}$/.test(plu)) throw new Problem(w("plu_digits"), "e-plu");
  wanted.plu = plu || null;
  const codes = splitCodes(typed.barcodes);
  if ([...codes].sort().join(" ") !== [...p.barcodes].sort().join(" ")) wanted.barcodes = codes;
  return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => key === "barcodes" || value !== p[key]));
}

/** A new product from the form's text; a Problem names the field it is about. */
export function newProduct(typed, currency) {
  const priceText = typed.price.trim();
  const price = C.parseAmount(priceText, currency);
  if (price === null) throw new Problem(notAnAmount(w("the_price"), priceText, currency), "p-price");
  const stockText = typed.stock.trim() || "0";
  if (!/^-?\d{1,9}$/.test(stockText)) throw new Problem(w("stock_whole_number"), "p-stock");
  const body = {
    sku: typed.sku.trim(),
    name: typed.name.trim(),
    price,
    tax_class: typed.tax_class,
    barcodes: splitCodes(typed.barcodes),
    stock: Number(stockText),
  };
  if (typed.category) body.category = typed.category;
  body.sold_by = typed.sold_by;
  const plu = typed.plu.trim();
  if (plu && !/^\d{4,5}$/.test(plu)) throw new Problem(w("plu_digits"), "p-plu");
  if (plu) body.plu = plu;
  return body;
}

const productState = (p) => (p.active ? w("on_sale") : w("withdrawn"));

export async function searchProducts() {
  const q = $("search-q").value.trim();
  const withdrawn = $("search-withdrawn").checked;
  say($("search-error"), "");
  try {
    const found = await api("GET", "/products?" + new URLSearchParams({ q, withdrawn: String(withdrawn) }));
    const body = $("product-body");
    body.replaceChildren();
    for (const p of found.products) {
      const edit = el("button", { type: "button", class: "link-button", "data-sku": p.sku },
        el("span", { class: "sr-only" }, w("change_product") + " "), p.name);
      edit.addEventListener("click", () => editProduct(p.sku));
      body.append(el("tr", {},
        el("td", {}, p.sku), el("td", {}, edit), el("td", { class: "num" }, fmt(p.price)),
        el("td", {}, TAX_CLASSES[p.tax_class] ? w(TAX_CLASSES[p.tax_class]) : p.tax_class),
        el("td", {}, p.category || ""), el("td", {}, p.barcodes.join(", ")),
        el("td", { class: "num" }, String(p.stock)), el("td", {}, productState(p))));
    }
    if (!found.products.length) {
      body.append(el("tr", {}, el("td", { colspan: "8" }, q ? w("no_product_matches", { q }) : w("no_products_yet"))));
    }
    $("product-caption").textContent = w(...productCaption(q, found.products.length, withdrawn));
  } catch (err) {
    say($("search-error"), err.message);
  }
}

/* Categories: the selects of both product forms and the list under them. */

export async function loadCategories() {
  try {
    const answer = await api("GET", "/categories");
    state.categories = answer.categories.map((c) => c.name);
  } catch (err) {
    say($("category-error"), err.message);
    return;
  }
  for (const select of document.querySelectorAll(".category-select")) {
    const kept = select.value;
    select.replaceChildren(el("option", { value: "" }, w("none")),
      ...state.categories.map((name) => el("option", { value: name }, name)));
    select.value = state.categories.includes(kept) ? kept : "";
  }
  $("category-names").replaceChildren(...state.categories.map((name) => el("option", { value: name })));
  const count = state.categories.length;
  const names = state.categories.join(", ");
  $("category-list").textContent = count
    ? w(count === 1 ? "one_category" : "categories_list", { count, names })
    : w("no_category_yet");
}

/** What the edit form says of the product, in the person's language. */
function productWords(p) {
  $("edit-title").textContent = w("change_sku_name", { sku: p.sku, name: p.name });
  $("edit-state").textContent = p.active ? w("on_sale_state") : w("withdrawn_state");
  $("edit-withdraw").textContent = p.active ? w("withdraw_from_sale") : w("put_back_on_sale");
}

const showAmount = (minor) => C.formatAmount(minor, state.currency);

function showProduct(p) {
  state.editing = p;
  productWords(p);
  $("e-name").value = p.name;
  $("e-price").value = showAmount(p.price);
  $("e-tax").value = p.tax_class;
  const category = $("e-category");
  if (p.category && !state.categories.includes(p.category)) {
    category.append(el("option", { value: p.category }, p.category));
  }
  category.value = p.category || "";
  $("e-cost").value = showAmount(p.cost);
  $("e-barcodes").value = p.barcodes.join(" ");
  $("e-plu").value = p.plu || "";
  $("edit-withdraw").className = p.active ? "danger" : "";
}

async function editProduct(sku) {
  say($("search-error"), "");
  say($("product-list-done"), "");
  try {
    const p = await api("GET", `/products/${encodeURIComponent(sku)}`);
    clearBlame($("edit-form"));
    say($("edit-error"), "");
    say($("edit-done"), "");
    showProduct(p);
    C.show($("edit-card"), true);
    $("e-name").focus();
  } catch (err) {
    say($("search-error"), err.message);
  }
}

const EDIT_FIELDS = {
  invalid_name: "e-name", invalid_price: "e-price", invalid_cost: "e-cost", unknown_tax_class: "e-tax",
  unknown_category: "e-category", invalid_category: "e-category", invalid_barcode: "e-barcodes",
  bad_check_digit: "e-barcodes", barcode_exists: "e-barcodes", invalid_plu: "e-plu", plu_exists: "e-plu",
};

async function saveProduct(changes, done) {
  const p = state.editing;
  const form = $("edit-form");
  const buttons = form.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  try {
    const saved = await api("PATCH", `/products/${encodeURIComponent(p.sku)}`, { json: changes });
    showProduct(saved);
    say($("edit-done"), done(saved));
    searchProducts();
    return true;
  } catch (err) {
    say($("edit-error"), err.message);
    const field = EDIT_FIELDS[err.code];
    if (field) blame($(field));
    return false;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

const typedOf = (prefix, names) => Object.fromEntries(names.map((n) => [n.replace("-", "_"), $(`${prefix}-${n}`).value]));

export function wire() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchProducts();
  });

  $("category-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearBlame(event.target);
    say($("category-error"), "");
    say($("category-done"), "");
    const name = $("cat-name").value.trim();
    if (!name) {
      say($("category-error"), w("give_the_category_a_name"));
      blame($("cat-name"));
      return;
    }
    try {
      const made = await api("POST", "/categories", { json: { name } });
      $("cat-name").value = "";
      await loadCategories();
      say($("category-done"), w("category_added", { name: made.name }));
    } catch (err) {
      say($("category-error"), err.message);
      blame($("cat-name"));
    }
  });

  $("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearBlame(event.target);
    say($("edit-error"), "");
    say($("edit-done"), "");
    const typed = typedOf("e", ["name", "price", "cost", "category", "plu", "barcodes"]);
    typed.tax_class = $("e-tax").value;
    const changes = readOrSay(() => productChanges(state.editing, typed, state.currency), $("edit-error"));
    if (!changes) return;
    if (!Object.keys(changes).length) {
      say($("edit-done"), w("nothing_to_save_product"));
      return;
    }
    await saveProduct(changes, (saved) =>
      w("product_saved", { sku: saved.sku, name: saved.name, price: C.money(saved.price, state.currency) }));
  });

  $("edit-withdraw").addEventListener("click", async () => {
    clearBlame($("edit-form"));
    say($("edit-error"), "");
    say($("edit-done"), "");
    const active = !state.editing.active;
    const ok = await saveProduct({ active }, (saved) => (saved.active
      ? w("back_on_sale", { name: saved.name })
      : w("now_withdrawn", { name: saved.name })));
    if (ok) $("edit-withdraw").focus();
  });

  $("edit-close").addEventListener("click", () => {
    const sku = state.editing && state.editing.sku;
    C.show($("edit-card"), false);
    state.editing = null;
    const row = sku && $("product-body").querySelector(`button[data-sku="${CSS.escape(sku)}"]`);
    (row || $("search-q")).focus();
  });

  $("product-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("product-error"), "");
    say($("product-done"), "");
    const typed = typedOf("p", ["sku", "name", "price", "stock", "category", "plu", "barcodes", "sold-by"]);
    typed.tax_class = $("p-tax").value;
    let body;
    try {
      body = newProduct(typed, state.currency);
    } catch (problem) {
      if (!(problem instanceof Problem)) throw problem;
      say($("product-error"), problem.message);
      $(problem.field).focus(); // this form marks no field invalid: it has a message of its own
      return;
    }
    try {
      const made = await api("POST", "/products", { json: body });
      event.target.reset();
      say($("product-done"), w("product_created", { sku: made.sku, name: made.name, price: C.money(made.price, state.currency) }));
      $("search-q").value = made.sku;
      searchProducts();
    } catch (err) {
      say($("product-error"), err.message);
    }
  });
}

/** The hint under the new product's price: how this currency's amounts are typed. */
function priceHint() {
  const exp = C.exponent(state.currency);
  $("p-price-hint").textContent = exp
    ? w("price_example", { example: C.formatLocal(Number("3" + "99".padEnd(exp, "0")), state.currency) })
    : w("whole_units_example");
}

export const loaders = { products: () => Promise.all([loadCategories(), searchProducts()]) };

export function onReady() {
  priceHint();
  state.editing = null;
  C.show($("edit-card"), false);
}

export function onLanguage() {
  priceHint();
  if (state.editing) productWords(state.editing);
}
