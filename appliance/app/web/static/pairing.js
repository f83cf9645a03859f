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

  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  function showState(state) {
    const words = state.paired
      ? `A customer display is paired with this till since ${time(state.paired_at)} (by ${state.paired_by}).`
      : "No customer display is paired with this till.";
    say($("display-state"), words);
    C.show($("display-unpair"), state.paired);
  }

  function showCode(given) {
    codeShown = given;
    C.show($("display-code-box"), !!given);
    $("display-code").textContent = given ? `${given.code.slice(0, 3)} ${given.code.slice(3)}` : "";
    $("display-code-until").textContent = given
      ? `Valid once, until ${time(given.expires_at)} — on the display, open /display and type it, or open /display?code=${given.code}`
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
      say($("display-done"), "The customer display is paired.");
    } else if (codeShown && state.code_expires_at === null) {
      showCode(null);
      say($("display-error"), "The code expired: press New pairing code for another.");
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
    say($("display-done"), "The customer display is unpaired; it asks for a code again.");
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
