/* Stock movements: every change of on-hand, of one product or all. */
import { $, api, el, say } from "../comptoir.js";
import { signed, w, when } from "./shared.js";

const KINDS = { adjustment: "kind_adjustment", count: "kind_count", receipt: "receipt" };

/** What a movement's reference says: a purchase order's number ("po:12"), else as it is. */
export function referenceText(reference) {
  const po = /^po:(\d+)$/.exec(reference || "");
  return po ? w("purchase_order_number", { id: po[1] }) : reference || "";
}

async function loadMovements(sku) {
  say($("movements-error"), "");
  try {
    const found = await api("GET", "/stock/movements?" + new URLSearchParams(sku ? { sku } : {}));
    const body = $("movements-body");
    body.replaceChildren();
    for (const m of found.movements) {
      body.append(el("tr", {}, el("td", { class: "nowrap" }, when(m.at)), el("td", {}, m.sku), el("td", {}, m.name),
        el("td", {}, KINDS[m.kind] ? w(KINDS[m.kind]) : m.kind), el("td", { class: "num" }, signed(m.quantity)),
        el("td", { class: "num" }, String(m.on_hand)), el("td", {}, m.reason),
        el("td", {}, referenceText(m.reference)), el("td", {}, m.user)));
    }
    if (!found.movements.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("no_movement_yet"))));
    $("movements-caption").textContent = sku ? w("movements_of", { sku }) : w("movements_all");
  } catch (err) {
    say($("movements-error"), err.message);
  }
}

export function showMovementsOf(sku) {
  $("movements-sku").value = sku;
  $("movements").dataset.loaded = "1";
  location.hash = "#movements";
  loadMovements(sku);
}

export function wire() {
  $("movements-form").addEventListener("submit", (e) => { e.preventDefault(); loadMovements($("movements-sku").value.trim()); });
}

export const loaders = { movements: () => loadMovements("") };
