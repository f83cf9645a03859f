/* Cancel, idle and reset: a sale left alone is cancelled after a countdown, and the screen
 * goes back to its welcome, in the default language, for the next customer. */
import { $, closeDialog, openDialog, say } from "../comptoir.js";
import { forgetPayment } from "./card.js";
import { api } from "./kiosk.js";
import { setLanguage } from "./language.js";
import { render } from "./sale.js";
import { announce, focusScanner, openDialogs, showView } from "./screen.js";
import { state } from "./state.js";
import { DEFAULT_LANG, t } from "./words.js";

/** Where an idle screen stands `idleFor` seconds after the last touch: null while the
 * customer is still there, else the whole seconds left before the sale is cancelled. */
export function countdown(idleFor, idleSeconds, countdownSeconds) {
  if (idleFor < idleSeconds) return null;
  return Math.max(0, Math.ceil(idleSeconds + countdownSeconds - idleFor));
}

async function cancelSale() {
  const sale = state.sale;
  if (sale && sale.status === "open") {
    try {
      await api("POST", `/sales/${sale.id}/cancel`, { json: {} });
    } catch (err) {
      /* a sale that cannot be cancelled any more (paid meanwhile) is left as it is */
    }
  }
}

export async function reset() {
  for (const dialog of openDialogs()) dialog.close();
  forgetPayment();
  $("approve-form").reset();
  $("receipt-text").textContent = "";
  say($("sale-error"), "");
  say($("attract-error"), "");
  state.sale = null;
  render(null);
  setLanguage(DEFAULT_LANG);
  showView("attract");
}

function activity() {
  state.lastActivity = Date.now();
  if ($("idle-dialog").open) {
    closeDialog($("idle-dialog"));
    focusScanner();
  }
}

export function tick() {
  if (state.view === "attract" && !state.sale) return;
  if (state.paying) {
    // The customer is at the terminal, not at the screen: never cancel a sale being paid.
    state.lastActivity = Date.now();
    return;
  }
  const left = countdown((Date.now() - state.lastActivity) / 1000, state.idleSeconds, state.countdownSeconds);
  if (left === null) return;
  if (!$("idle-dialog").open) {
    for (const dialog of openDialogs()) dialog.close();
    $("approve-password").value = "";
    openDialog($("idle-dialog"), $("idle-continue"));
  }
  if (left !== state.countdownLeft) {
    state.countdownLeft = left;
    $("idle-count").textContent = String(left);
  }
  if (left <= 0) {
    cancelSale().then(reset);
    state.lastActivity = Date.now();
  }
}

export function wire() {
  $("finish-button").addEventListener("click", () => reset());
  $("cancel-button").addEventListener("click", async () => {
    await cancelSale();
    await reset();
    announce(t("cancelled"));
  });
  for (const kind of ["pointerdown", "keydown", "input"]) document.addEventListener(kind, activity, true);
  $("idle-continue").addEventListener("click", activity);
}
