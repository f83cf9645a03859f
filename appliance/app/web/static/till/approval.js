/* The till: a supervisor's approval inside a dialog (the fieldset is pages.py's approval part):
 * the act is tried as the cashier first, and asks for the approval only when the API refuses it. */

import C, { $, api, say } from "../comptoir.js";
import { APPROVAL_MISSING } from "./constants.js";
import { state } from "./state.js";

/** The approval fieldset of a dialog (ids PREFIX-approval…): shown when the API says the
 * cashier's role stops here; its answer is an X-Approval for one permission. */
export function approvalBox(prefix) {
  const box = $(`${prefix}-approval`);
  return {
    get asked() {
      return !box.hidden;
    },
    reset() {
      C.show(box, false);
      $(`${prefix}-approval-username`).value = "";
      $(`${prefix}-approval-password`).value = "";
    },
    ask(why) {
      $(`${prefix}-approval-why`).textContent = why;
      C.show(box, true);
      $(`${prefix}-approval-username`).focus();
    },
    /** Resolves with {X-Approval} headers, or {} when no approval was asked for. */
    async headers(permission) {
      if (box.hidden) return {};
      const username = $(`${prefix}-approval-username`).value.trim();
      const password = $(`${prefix}-approval-password`).value;
      if (!username) throw new C.ApiError(0, "approval_missing", C.t(APPROVAL_MISSING));
      try {
        const credentials = C.credentials(username, password);
        const granted = await api("POST", "/auth/approve", { json: { ...credentials, permission } });
        return { "X-Approval": granted.approval };
      } finally {
        $(`${prefix}-approval-password`).value = "";
        if (!password) $(`${prefix}-approval-username`).value = ""; // a badge's code stays on screen no longer
      }
    },
    focusPassword() {
      $(`${prefix}-approval-password`).focus();
    },
    /** Asks at once when the cashier's role lacks `permission` (`key` says so, naming the
     * role), rather than after a refusal; true when it asked. */
    askUnlessAllowed(permission, key) {
      if (!state.me || state.me.permissions.includes(permission)) return false;
      this.ask(C.t(key, { role: C.t(`session.role_${state.me.role}`) }));
      return true;
    },
  };
}

/** The reason typed in the field `id` (it goes in the audit log, so three letters at least),
 * or null once `key` is said in `errorNode` and the field has the focus. */
export function reasonGiven(id, errorNode, key) {
  const reason = $(id).value.trim();
  if (reason.length >= 3) return reason;
  say(errorNode, C.t(key));
  $(id).focus();
  return null;
}

/** Runs `act(headers)`; a 403 the supervisor can lift shows the approval fields (the
 * cashier then submits again). Returns the answer, or null after showing the error. */
export async function withApproval(box, permission, errorNode, act, needsApproval) {
  try {
    return await act(await box.headers(permission));
  } catch (err) {
    if (err.status === 403 && !box.asked && needsApproval(err)) {
      say(errorNode, "");
      box.ask(err.message);
    } else {
      say(errorNode, err.message);
      if (box.asked) box.focusPassword();
    }
    return null;
  }
}
