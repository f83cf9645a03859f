/* The self-service screen's views and the scan field that keeps the focus. */
import { $ } from "../comptoir.js";
import { state } from "./state.js";

export function announce(message) {
  $("status").textContent = message;
}

export function showView(name) {
  state.view = name;
  $("attract-view").hidden = name !== "attract";
  $("sale-view").hidden = name !== "sale";
  $("done-view").hidden = name !== "done";
  focusScanner();
}

export function openDialogs() {
  return document.querySelectorAll("dialog[open]");
}

/** The scanner types into the focused element: keep the scan input focused whenever no
 * dialog (with its own fields) is open. */
export function focusScanner() {
  if (openDialogs().length === 0 && state.view !== "done") $("scan-input").focus({ preventScroll: true });
}
