/* An attendant's approval of age-restricted items, typed on the on-screen keyboard, and the
 * call for an attendant. */
import { $, closeDialog, openDialog, say } from "../comptoir.js";
import { api, describe } from "./kiosk.js";
import { KEYBOARD_ROWS, keyButton, keyLabel, nextField } from "./keys.js";
import { render } from "./sale.js";
import { announce } from "./screen.js";
import { state } from "./state.js";
import { t } from "./words.js";

const oskFields = ["approve-username", "approve-password"];
let oskField = "approve-username";
let shifted = false;

/** An attendant's credentials refused (wrong, locked, throttled) are said as such. */
export function refused(err) {
  return [401, 403, 423, 429].includes(err.status);
}

export function buildKeyboard() {
  const osk = $("osk");
  for (const row of osk.querySelectorAll(".ss-osk-row")) row.remove();
  const type = (ch) => () => {
    const input = $(oskField);
    input.value += keyLabel(ch, shifted);
    input.focus();
  };
  for (const chars of KEYBOARD_ROWS) {
    const row = document.createElement("div");
    row.className = "ss-osk-row";
    for (const ch of chars) row.append(keyButton(keyLabel(ch, shifted), type(ch), "", null));
    osk.append(row);
  }
  const last = document.createElement("div");
  last.className = "ss-osk-row";
  const shift = keyButton("⇧ " + t("key_shift"), () => {
    shifted = !shifted;
    buildKeyboard();
    $(oskField).focus();
  }, "ss-key-wide");
  shift.setAttribute("aria-pressed", String(shifted));
  last.append(shift);
  last.append(keyButton(t("key_space"), type(" "), "ss-key-space"));
  last.append(keyButton("⌫ " + t("key_delete"), () => {
    const input = $(oskField);
    input.value = input.value.slice(0, -1);
    input.focus();
  }, "ss-key-wide"));
  last.append(keyButton(t("key_next"), () => {
    oskField = nextField(oskFields, oskField);
    $(oskField).focus();
  }, "ss-key-wide"));
  osk.append(last);
}

export function openApproval() {
  $("approve-form").reset();
  say($("approve-error"), "");
  oskField = "approve-username";
  openDialog($("approve-dialog"), $("approve-username"));
}

export async function callAttendant(reason, show) {
  say($("called-error"), "");
  if (show) openDialog($("called-dialog"));
  const sale = state.sale;
  try {
    await api("POST", "/selfservice/attendant", { json: sale ? { reason, sale: sale.id } : { reason } });
  } catch (err) {
    if (show) say($("called-error"), describe(err));
  }
}

export function wire() {
  for (const id of oskFields) $(id).addEventListener("focus", () => { oskField = id; });

  $("approve-button").addEventListener("click", () => {
    callAttendant("restricted", false);
    openApproval();
  });

  $("approve-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.sale) return;
    const username = $("approve-username").value.trim();
    const password = $("approve-password").value;
    $("approve-password").value = "";
    state.busy = true;
    try {
      const grant = await api("POST", "/auth/approve", {
        json: { username, password, permission: "approve_restricted" },
      });
      const updated = await api("POST", `/sales/${state.sale.id}/approve`, {
        json: {}, headers: { "X-Approval": grant.approval },
      });
      render(updated);
      $("approve-form").reset();
      closeDialog($("approve-dialog"));
      say($("sale-error"), "");
      announce(t("approved"));
    } catch (err) {
      say($("approve-error"), refused(err) ? t("approval_bad") : describe(err));
      $("approve-password").focus();
      oskField = "approve-password";
    } finally {
      state.busy = false;
    }
  });

  $("call-attendant").addEventListener("click", () => callAttendant("help", true));
}
