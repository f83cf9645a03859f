/* The customer's sale: its lines and totals on screen, and items added by a scan or a touch. */
import { $, say } from "../comptoir.js";
import { api, describe, money } from "./kiosk.js";
import { announce, showView } from "./screen.js";
import { awaitingApproval, liveLines, state, totalsOf } from "./state.js";
import { t } from "./words.js";

export function render(current) {
  state.sale = current;
  const body = $("lines-body");
  body.replaceChildren();
  const lines = liveLines(current);
  for (const ln of lines) {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = ln.name;
    if (ln.age_restricted) {
      const mark = document.createElement("span");
      mark.className = ln.awaiting_approval ? "ss-tag ss-tag-wait" : "ss-tag";
      mark.textContent = t("restricted_mark");
      name.append(" ", mark);
    }
    const qty = document.createElement("td");
    qty.className = "num";
    qty.textContent = String(ln.quantity);
    const amount = document.createElement("td");
    amount.className = "num";
    amount.textContent = money(ln.net);
    row.append(name, qty, amount);
    body.append(row);
  }
  $("lines").hidden = lines.length === 0;
  $("lines-empty").hidden = lines.length !== 0;
  const totals = totalsOf(current);
  $("t-subtotal").textContent = money(totals.subtotal);
  $("t-tax").textContent = money(totals.tax);
  $("t-due").textContent = money(totals.due);
  $("pay-due").textContent = money(totals.due);
  $("pay-button").disabled = !current || totals.due <= 0;
  // Self-service takes a card on the terminal only: without one it says where to pay instead.
  $("pay-button").hidden = !state.terminal;
  $("no-card-notice").hidden = state.terminal;
  $("restricted-box").hidden = !awaitingApproval(current);
}

async function ensureSale() {
  if (!state.sale || state.sale.status !== "open") render(await api("POST", "/sales", { json: {} }));
  return state.sale.id;
}

/** An item the till does not know is said as such; anything else as what went wrong. */
export function notFound(err) {
  return err.code === "unknown_barcode" || err.code === "product_not_found" || err.status === 404 || err.status === 422;
}

export async function addItem(item) {
  if (state.busy) return;
  state.busy = true;
  say($("sale-error"), "");
  say($("attract-error"), "");
  try {
    const id = await ensureSale();
    showView("sale");
    const updated = await api("POST", `/sales/${id}/items`, { json: item });
    render(updated);
    const added = liveLines(updated).slice(-1)[0];
    if (added) announce(t("added", { name: added.name }));
    if (awaitingApproval(state.sale)) announce(t("approval_needed"));
  } catch (err) {
    showView(state.sale ? "sale" : state.view);
    const where = state.view === "attract" ? $("attract-error") : $("sale-error");
    say(where, notFound(err) ? t("unknown_barcode") : describe(err));
  } finally {
    state.busy = false;
  }
}

export function wire() {
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("scan-input");
    const code = input.value.trim();
    input.value = "";
    if (code) addItem({ barcode: code });
  });
  $("start-button").addEventListener("click", () => showView("sale"));
}
