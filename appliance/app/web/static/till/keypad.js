/* The till: the on-screen keypads of its amount and quantity fields. */

import C, { $, el } from "../comptoir.js";
import { state } from "./state.js";

function buildKeypad(pad) {
  const target = $(pad.dataset.target);
  const decimal = pad.dataset.keys === "decimal";
  const keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3",
    decimal ? "." : "clear", "0", "back"];
  if (decimal) keys.push("clear", "00");
  const labels = { back: ["⌫", "till.delete_last_digit"], clear: ["C", "till.clear"] };
  for (const key of keys) {
    const [text, label] = labels[key] || [key, null];
    const button = el("button", {
      type: "button",
      class: "key" + (key === "clear" && decimal ? " key-wide" : ""),
      "aria-label": label ? C.t(label) : null,
      "data-words-label": label,
      "data-key": key,
    }, text);
    button.addEventListener("mousedown", (e) => e.preventDefault()); // the field keeps the focus
    button.addEventListener("click", () => {
      if (key === "back") target.value = target.value.slice(0, -1);
      else if (key === "clear") target.value = "";
      else if (key === "." && (target.value.includes(".") || C.exponent(state.currency) === 0)) return;
      else if (target.value.length < (Number(target.getAttribute("maxlength")) || 12)) target.value += key;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.focus();
    });
    pad.append(button);
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  for (const pad of document.querySelectorAll(".keypad")) buildKeypad(pad);
}
