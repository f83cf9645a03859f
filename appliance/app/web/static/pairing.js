/* The till's side of pairing the customer display (services/display_pairing.py): the
 * "Customer display" button opens a dialog that asks for a 6-digit code and shows it big, for
 * the cashier to type on the display (or open /display?code=…) — no second login. The dialog
 * watches for the display to pair, says since when it is, and unpairs it.
 *
 * An ES module of its own, wired by cashier.js with one call; it needs only Comptoir (C) and
 * the #display-* elements of cashier.html.
 */

const WATCH_MS = 2000; // how often the open dialog asks whether the display has paired

export function setupDisplayPairing(C) {
  const { $, api, say } = C;
  const dialog = $("display-dialog");
  if (!dialog) return;
  let watching = null;
  let codeShown = null; // {code, expires_at} on screen, until the display spends it
  let pairedAt = null; // when the display paired, as last heard: a new time is a new pairing

  const time = (iso) => new Date(iso).toLocaleTimeString(C.locale(), { hour: "2-digit", minute: "2-digit" });

  function showState(state) {
    const words = state.paired
      ? C.t("till.display_paired_since", { time: time(state.paired_at), name: state.paired_by })
      : C.t("till.no_display_paired");
    say($("display-state"), words);
    C.show($("display-unpair"), state.paired);
  }

  function showCode(given) {
    codeShown = given;
    C.show($("display-code-box"), !!given);
    $("display-code").textContent = given ? `${given.code.slice(0, 3)} ${given.code.slice(3)}` : "";
    $("display-code-until").textContent = given
      ? C.t("till.pairing_code_valid", { time: time(given.expires_at), code: given.code })
      : "";
  }

  async function refresh() {
    let state;
    try {
      state = await api("GET", "/display/pairing");
    } catch (err) {
      say($("display-error"), err.message);
      return;
    }
    if (codeShown && state.paired && state.paired_at !== pairedAt) {
      showCode(null); // the display spent it
      say($("display-done"), C.t("till.display_paired"));
    } else if (codeShown && state.code_expires_at === null) {
      showCode(null);
      say($("display-error"), C.t("till.pairing_code_expired"));
    }
    pairedAt = state.paired_at;
    showState(state);
    return state;
  }

  function watch(on) {
    if (watching) clearInterval(watching);
    watching = on ? setInterval(refresh, WATCH_MS) : null;
  }

  async function newCode() {
    say($("display-error"), "");
    say($("display-done"), "");
    try {
      showCode(await api("POST", "/display/pairing-code", { json: {} }));
      watch(true);
    } catch (err) {
      say($("display-error"), err.message);
    }
  }

  async function unpair() {
    say($("display-error"), "");
    try {
      await api("DELETE", "/display/pairing");
    } catch (err) {
      say($("display-error"), err.message);
      return;
    }
    showCode(null);
    watch(false);
    say($("display-done"), C.t("till.display_unpaired"));
    await refresh();
    $("display-code-button").focus();
  }

  async function open() {
    showCode(null);
    say($("display-done"), "");
    C.openDialog(dialog, $("display-code-button"));
    const state = await refresh();
    if (state && !state.paired) await newCode(); // what the cashier came for
  }

  $("display-button").addEventListener("click", open);
  $("display-code-button").addEventListener("click", newCode);
  $("display-unpair").addEventListener("click", unpair);
  dialog.addEventListener("close", () => {
    watch(false);
    showCode(null);
  });
}
