/* Suppliers: the list, the selects that choose one, a supplier added. */
import { $, api, el, say } from "../comptoir.js";
import { state, w } from "./shared.js";

/** A supplier's name by its id; "" when the list does not hold it. */
export function supplierName(suppliers, id) {
  const found = suppliers.find((s) => s.id === id);
  return found ? found.name : "";
}

export async function loadSuppliers() {
  say($("suppliers-error"), "");
  try {
    state.suppliers = (await api("GET", "/suppliers")).suppliers;
    state.suppliersLoaded = true;
  } catch (err) {
    say($("suppliers-error"), err.message);
    return;
  }
  const body = $("suppliers-body");
  body.replaceChildren(...state.suppliers.map((s) => el("tr", {}, el("td", {}, s.name), el("td", {}, s.email || ""),
    el("td", {}, s.phone || ""))));
  if (!state.suppliers.length) body.append(el("tr", {}, el("td", { colspan: "3" }, w("no_supplier_yet"))));
  for (const select of document.querySelectorAll(".supplier-select")) {
    const keep = select.value;
    select.replaceChildren(el("option", { value: "" }, w(select.dataset.empty)),
      ...state.suppliers.map((s) => el("option", { value: String(s.id) }, s.name)));
    select.value = keep;
    if (select.value !== keep) select.value = "";
  }
}

export function wire() {
  $("supplier-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("supplier-add-error"), "");
    say($("supplier-add-done"), "");
    const json = { name: $("s-name").value.trim() };
    if ($("s-email").value.trim()) json.email = $("s-email").value.trim();
    if ($("s-phone").value.trim()) json.phone = $("s-phone").value.trim();
    try {
      const made = await api("POST", "/suppliers", { json });
      $("supplier-form").reset();
      say($("supplier-add-done"), w("supplier_added", { name: made.name }));
      await loadSuppliers();
    } catch (err) {
      say($("supplier-add-error"), err.message);
    }
  });
}

export const loaders = { suppliers: loadSuppliers };
