/* The self-service screen's link to the API and its money: common.js's api() with the kiosk's
 * own session (POST /auth/kiosk, role `customer`), whose CSRF token is held in this module
 * only, never in storage; amounts by common.js's formatLocal in the language spoken. */
import C from "../comptoir.js";
import { state } from "./state.js";
import { amountLocale, t } from "./words.js";

export function money(minor) {
  return C.formatLocal(minor, state.currency, amountLocale()) + "\u00a0" + state.currency;
}

let csrf = null;

/** common.js api() with the kiosk's own token (never the staff's stored one). */
function request(method, path, opts = {}) {
  return C.api(method, path, { ...opts, csrf, noExpiry: true });
}

export async function signIn() {
  const answer = await request("POST", "/auth/kiosk", { json: {} });
  csrf = answer.csrf_token;
}

/** A call that signs in again once if the kiosk session expired. */
export async function api(method, path, opts) {
  try {
    return await request(method, path, opts);
  } catch (err) {
    if (expired(err)) {
      await signIn();
      return request(method, path, opts);
    }
    throw err;
  }
}

/** The kiosk's session is gone (expired, or its token refused): sign in again. */
export function expired(err) {
  return err.status === 401 || (err.status === 403 && err.code === "csrf_failed");
}

/** Which words say what went wrong, for a customer: the till is away, a set-up matter, or
 * anything else (an attendant's business). */
export function trouble(err) {
  if (err.status === 0) return "offline";
  if (err.code === "not_self_service") return "not_self_service"; // a set-up matter, said plainly
  return "error";
}

export function describe(err) {
  return t(trouble(err));
}
