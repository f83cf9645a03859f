/* Stock: levels (found, or those at their reorder point), adjustments, draft orders suggested,
 * and a product's stock rules (cost, reorder point and quantity, supplier). */
import C, { $, api, el, say } from "../comptoir.js";
import { showMovementsOf } from "./movements.js";
import { goToOrders } from "./orders.js";
import { loadSuppliers, supplierName } from "./suppliers.js";
import { fmt, parseWhole, rowButton, state, stockMoved, w } from "./shared.js";

let stockView = () => loadStock("");
let stockAsked = 0; // only the answer to the latest question fills the table
let rulesOf = null; // the product whose rules the form shows, as the API last gave them

/** The reorder point and quantity typed (empty: none), or the problem's backoffice.* word. */
export function reorderCounts(point, quantity) {
  const counts = {};
  for (const [key, text, words] of [["reorder_point", point, "point_whole"], ["reorder_quantity", quantity, "quantity_whole"]]) {
    const typed = text.trim();
    counts[key] = typed === "" ? null : parseWhole(typed, false);
    if (counts[key] === null && typed !== "") return { problem: words };
  }
  return { counts };
}

/** What of `wanted` differs from product `p`'s rules. */
export function ruleChanges(p, wanted) {
  const changes = {};
  for (const [key, value] of Object.entries(wanted)) if (p[key] !== value) changes[key] = value;
  return changes;
}

/** "Low without a supplier: A1 (4), B2 (6)", or "" when every low product has one. */
function withoutSupplier(made) {
  return made.without_supplier.length
    ? " " + w("low_without_supplier", { products: made.without_supplier.map((p) => `${p.sku} (${p.suggested})`).join(", ") })
    : "";
}

function stockRows(products, caption) {
  const body = $("stock-body");
  body.replaceChildren();
  for (const p of products) {
    body.append(el("tr", {}, el("td", {}, p.sku), el("td", {}, p.name), el("td", { class: "num" }, String(p.on_hand)),
      el("td", { class: "num" }, String(p.on_order)), el("td", { class: "num" }, p.reorder_point === null ? "—" : String(p.reorder_point)),
      el("td", { class: "num" }, fmt(p.cost)), el("td", { class: "num" }, p.suggested ? String(p.suggested) : ""),
      el("td", {}, p.supplier_id === null ? "" : supplierName(state.suppliers, p.supplier_id)),
      el("td", { class: "nowrap" }, rowButton(w("rules"), w("of_sku", { sku: p.sku }), () => editRules(p)),
        rowButton(w("movements"), w("of_sku", { sku: p.sku }), () => showMovementsOf(p.sku)))));
  }
  if (!products.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("nothing_to_show"))));
  $("stock-caption").textContent = caption;
}

async function showStock(view, path, caption) {
  say($("stock-error"), "");
  stockView = view;
  const mine = ++stockAsked;
  try {
    if (!state.suppliersLoaded) await loadSuppliers();
    const found = await api("GET", path);
    if (mine === stockAsked) stockRows(found.products, caption);
  } catch (err) {
    if (mine === stockAsked) say($("stock-error"), err.message);
  }
}

function loadStock(q) {
  return showStock(() => loadStock(q), "/stock?" + new URLSearchParams({ q }), q ? w("matching", { q }) : w("stock"));
}

function loadLow() {
  return showStock(loadLow, "/stock/low", w("at_or_under_reorder_point"));
}

function editRules(p) {
  rulesOf = p;
  $("rule-sku").value = p.sku;
  $("rule-cost").value = C.formatAmount(p.cost, state.currency).replace(/,/g, "");
  $("rule-point").value = p.reorder_point === null ? "" : String(p.reorder_point);
  $("rule-qty").value = p.reorder_quantity === null ? "" : String(p.reorder_quantity);
  const pick = () => { $("rule-supplier").value = p.supplier_id === null ? "" : String(p.supplier_id); };
  pick();
  if (!state.suppliersLoaded) loadSuppliers().then(() => { if (rulesOf === p) pick(); });
  say($("rules-error"), "");
  say($("rules-done"), "");
  $("rule-cost").focus();
}

/** The stocked product with exactly this SKU; null when there is none. */
async function stockedProduct(sku) {
  try {
    return await api("GET", `/stock/products/${encodeURIComponent(sku)}`);
  } catch (err) {
    if (err.code === "product_not_found" || err.code === "not_stocked") return null;
    throw err;
  }
}

async function saveRules(e) {
  e.preventDefault();
  say($("rules-error"), "");
  say($("rules-done"), "");
  const sku = $("rule-sku").value.trim();
  try {
    if (!rulesOf || rulesOf.sku !== sku) {
      const p = sku ? await stockedProduct(sku) : null;
      if (!p) {
        say($("rules-error"), sku ? w("no_stocked_product", { sku }) : w("give_the_products_sku"));
        return;
      }
      editRules(p);
      say($("rules-done"), w("these_are_the_rules", { sku }));
      return;
    }
    const cost = C.parseAmount($("rule-cost").value, state.currency);
    if (cost === null) {
      say($("rules-error"), `${w("the_cost")}: ${C.readAmount($("rule-cost").value, state.currency).error}`);
      return;
    }
    const { counts, problem } = reorderCounts($("rule-point").value, $("rule-qty").value);
    if (problem) {
      say($("rules-error"), w(problem));
      return;
    }
    const wanted = Object.assign({ cost }, counts);
    // The supplier only when the list it is chosen from holds the product's own: never cleared by accident.
    const known = rulesOf.supplier_id === null || state.suppliers.some((x) => x.id === rulesOf.supplier_id);
    if (known) wanted.supplier_id = $("rule-supplier").value === "" ? null : Number($("rule-supplier").value);
    const changes = ruleChanges(rulesOf, wanted);
    if (!Object.keys(changes).length) {
      say($("rules-done"), w("nothing_changed"));
      return;
    }
    const saved = await api("PATCH", `/stock/products/${encodeURIComponent(sku)}`, { json: changes });
    editRules(saved);
    say($("rules-done"), w("rules_saved_for", { sku: saved.sku }));
    stockView();
  } catch (err) {
    say($("rules-error"), err.message);
  }
}

export function wire() {
  $("stock-search").addEventListener("submit", (e) => { e.preventDefault(); loadStock($("stock-q").value.trim()); });
  $("stock-low").addEventListener("click", loadLow);
  $("stock-suggest").addEventListener("click", async () => {
    say($("stock-error"), "");
    say($("stock-done"), "");
    try {
      const made = await api("POST", "/purchase-orders/suggest", { json: {} });
      const without = withoutSupplier(made);
      if (!made.orders.length) {
        say($("stock-done"), w("no_draft_order_made") + without);
        return;
      }
      stockMoved();
      const names = made.orders.map((o) => `#${o.id} (${o.supplier})`).join(", ");
      goToOrders("draft", w("drafts_suggested", { count: made.orders.length, names }) + without,
        made.orders.length === 1 ? made.orders[0] : null);
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });
  $("adjust-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("stock-error"), "");
    say($("stock-done"), "");
    const quantity = parseWhole($("adj-qty").value, true);
    if (quantity === null || quantity === 0) {
      say($("stock-error"), w("change_whole_not_zero"));
      return;
    }
    try {
      const json = { sku: $("adj-sku").value.trim(), quantity, reason: $("adj-reason").value };
      if ($("adj-note").value.trim()) json.note = $("adj-note").value.trim();
      const done = await api("POST", "/stock/adjustments", { json });
      $("adj-qty").value = "";
      $("adj-note").value = "";
      say($("stock-done"), w("on_hand_now", { sku: done.sku, count: done.on_hand }));
      delete $("movements").dataset.loaded;
      stockView();
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });

  $("rule-sku").addEventListener("change", async () => {
    const sku = $("rule-sku").value.trim();
    if (!sku || (rulesOf && rulesOf.sku === sku)) return;
    rulesOf = null;
    try {
      const p = await stockedProduct(sku);
      if (p) editRules(p);
      else say($("rules-error"), w("no_stocked_product", { sku }));
    } catch (err) {
      say($("rules-error"), err.message);
    }
  });

  $("rules-form").addEventListener("submit", saveRules);
}

export const loaders = { stock: () => loadStock("") };
