/* The till: what every dialog does when it closes (messages and passwords cleared, the scan field
 * focused again), and the quantity, void and cancel-the-sale dialogs. */

import C, { $, api, say, t } from "../comptoir.js";
import { state } from "./state.js";
import { APPROVAL_MISSING } from "./constants.js";
import { forgetExtras } from "./customers.js";
import { announce, fmt, focusScan, newSale, selectedLine, setSale, whileBusy } from "./sale.js";

// Quantity
export function openQuantity() {
  const line = selectedLine();
  if ($("qty-button").disabled || !line) return;
  $("qty-item").textContent = t("till.quantity_now", { name: line.name, quantity: line.quantity });
  $("qty-input").value = "";
  C.openDialog($("qty-dialog"), $("qty-input"));
}

// Void
export function openVoid() {
  const line = selectedLine();
  if ($("void-button").disabled || !line) return;
  state.voidApproval = false;
  C.show($("approval-fields"), false);
  $("void-title").textContent = t("till.void_this_line");
  $("void-confirm").textContent = t("till.void_line");
  $("void-item").textContent = t("till.void_what", { line: line.line, name: line.name, quantity: line.quantity, amount: fmt(line.amount) });
  $("approval-username").value = "";
  $("approval-password").value = "";
  C.openDialog($("void-dialog"), $("void-confirm"));
  if (state.me && !state.me.permissions.includes("void_line")) {
    askApproval(t("till.role_may_not_void", { role: C.t(`session.role_${state.me.role}`) }));
  }
}

function askApproval(why) {
  state.voidApproval = true;
  $("void-title").textContent = t("till.supervisor_approval_needed");
  $("approval-why").textContent = why;
  $("void-confirm").textContent = t("till.approve_and_void");
  C.show($("approval-fields"), true);
  $("approval-username").focus();
}

// Cancel the sale
export function openCancel() {
  if ($("cancel-sale-button").disabled) return;
  C.openDialog($("cancel-dialog"));
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  for (const button of document.querySelectorAll(".close-dialog")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      for (const alert of dialog.querySelectorAll("[role=alert], [role=status]")) say(alert, "");
      for (const secret of dialog.querySelectorAll("input[type=password]")) secret.value = "";
      setTimeout(focusScan, 0);
    });
  }

  $("qty-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    const text = $("qty-input").value.trim();
    if (!/^\d{1,5}$/.test(text)) {
      say($("qty-error"), t("till.quantity_whole_number"));
      return;
    }
    if (state.busy || !line) return;
    await whileBusy($("qty-error"), async () => {
      const sale = await api("PATCH", `/sales/${state.sale.id}/items/${line.line}`, {
        json: { quantity: Number(text) },
      });
      setSale(sale);
      announce(t("till.announce_quantity", { name: line.name, quantity: text, total: fmt(sale.totals.total) }));
      C.closeDialog($("qty-dialog"));
    });
  });

  $("void-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    if (state.busy || !line) return;
    state.busy = true;
    say($("void-error"), "");
    try {
      const headers = {};
      if (state.voidApproval) {
        const username = $("approval-username").value.trim();
        const password = $("approval-password").value;
        if (!username) {
          say($("void-error"), t(APPROVAL_MISSING));
          return;
        }
        const granted = await api("POST", "/auth/approve", {
          json: { ...C.credentials(username, password), permission: "void_line" },
        }).finally(() => {
          $("approval-password").value = "";
          if (!password) $("approval-username").value = ""; // a badge's code stays on screen no longer
        });
        headers["X-Approval"] = granted.approval;
      }
      const sale = await api("DELETE", `/sales/${state.sale.id}/items/${line.line}`, { headers });
      setSale(sale);
      announce(t("till.announce_voided", { line: line.line, total: fmt(sale.totals.total) }));
      C.closeDialog($("void-dialog"));
    } catch (err) {
      if (err.status === 403 && err.code === "forbidden" && !state.voidApproval) {
        askApproval(err.message);
      } else {
        $("approval-password").value = "";
        say($("void-error"), err.message);
        if (state.voidApproval) $("approval-password").focus();
      }
    } finally {
      state.busy = false;
    }
  });

  $("cancel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    await whileBusy($("cancel-error"), async () => {
      await api("POST", `/sales/${state.sale.id}/cancel`, { json: {} });
      forgetExtras(state.sale.id);
      C.closeDialog($("cancel-dialog"));
      newSale();
      announce(t("till.announce_cancelled"));
    });
  });
}
