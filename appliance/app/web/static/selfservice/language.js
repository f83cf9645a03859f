/* The language a customer picks: the page's marked words, the keys and what is on screen,
 * said again in it. */
import { buildKeyboard } from "./approval.js";
import { buildMenu } from "./menu.js";
import { render } from "./sale.js";
import { state } from "./state.js";
import { speak, t } from "./words.js";

export function setLanguage(code) {
  document.documentElement.lang = speak(code);
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const button of document.querySelectorAll(".ss-lang")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === document.documentElement.lang));
  }
  document.title = t("brand_sub") + " — " + state.storeName;
  buildKeyboard();
  if (state.sale) render(state.sale);
  if (state.products.length) buildMenu();
}
