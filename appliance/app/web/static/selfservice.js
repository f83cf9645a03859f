/* Comptoir self-service checkout: a customer alone at a touch screen.
 *
 * No build step, no inline script (the CSP forbids it). The customer's session is the
 * till's password-less kiosk session (selfservice/kiosk.js); money is written and the API
 * called by common.js (comptoir.js), as on the till.
 *
 * This file only puts the parts together: each part of the screen is a module of
 * static/selfservice/ (the sale, the menu, the card payment, the attendant's approval, the
 * idle countdown), all sharing one state (selfservice/state.js); then the kiosk starts.
 */
import { $, closeDialog, say } from "./comptoir.js";
import { findTerminal } from "./selfservice/card.js";
import { api, describe, signIn } from "./selfservice/kiosk.js";
import { setLanguage } from "./selfservice/language.js";
import { buildMenu } from "./selfservice/menu.js";
import { render } from "./selfservice/sale.js";
import { focusScanner, showView } from "./selfservice/screen.js";
import { state } from "./selfservice/state.js";
import { DEFAULT_LANG, loadWords } from "./selfservice/words.js";
import * as sale from "./selfservice/sale.js";
import * as menu from "./selfservice/menu.js";
import * as card from "./selfservice/card.js";
import * as approval from "./selfservice/approval.js";
import * as idle from "./selfservice/idle.js";

for (const part of [sale, menu, card, approval, idle]) part.wire();

for (const button of document.querySelectorAll(".ss-lang")) {
  button.addEventListener("click", () => setLanguage(button.dataset.lang));
}
for (const button of document.querySelectorAll(".close-dialog")) {
  button.addEventListener("click", () => {
    const dialog = button.closest("dialog");
    closeDialog(dialog);
    if (dialog.id === "approve-dialog") $("approve-form").reset();
  });
}
for (const dialog of document.querySelectorAll("dialog")) {
  dialog.addEventListener("close", focusScanner);
}
// After a tap anywhere outside a dialog (a language, Start, the page itself) the focus goes
// back to the scan input, so the next scan lands there and not on the button just touched.
document.addEventListener("click", (event) => {
  if (!event.target.closest("dialog, input, pre")) setTimeout(focusScanner, 0);
});

async function start() {
  const words = loadWords();
  words.catch(() => {}); // a failure is met below, not reported as unhandled while signing in
  try {
    await signIn();
    const [settings, config, found, terminal] = await Promise.all([
      api("GET", "/settings"),
      api("GET", "/selfservice/config"),
      api("GET", "/products?q="),
      findTerminal(api),
      words,
    ]);
    state.terminal = terminal;
    state.storeName = settings.store_name;
    state.currency = settings.currency;
    $("store-name").textContent = state.storeName;
    state.idleSeconds = config.idle_seconds;
    state.countdownSeconds = config.countdown_seconds;
    state.products = found.products;
  } catch (err) {
    await words.catch(() => {}); // whatever failed, say it in the words if they came
    say($("attract-error"), describe(err));
    setTimeout(start, 3000);
    return;
  }
  setLanguage(DEFAULT_LANG);
  buildMenu();
  render(null);
  showView("attract");
  document.body.dataset.ready = "true";
}

setInterval(idle.tick, 250);
start();
