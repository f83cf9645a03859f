// The customer display: a second window that shows the sale as the till changes it.
// It listens to the till's event stream; EventSource reconnects by itself after a break.
// No framework, no inline script or style (the CSP forbids both).
//
// No login here: a browser where nobody is logged in pairs with the till by the 6-digit code
// the till shows (typed in, or opened as /display?code=123456), and keeps the display-only
// cookie it gets for it. When the till unpairs it, the code entry comes back.

import C from "./comptoir.js";

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  $(id).textContent = text ?? "";
}

function show(rowId, text, valueId) {
  $(rowId).hidden = !text;
  if (text) setText(valueId, text);
}

function lineItem(line) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  if (line.quantity !== 1 && !line.measure) {
    const qty = document.createElement("span");
    qty.className = "qty";
    qty.textContent = `${line.quantity} ×`;
    name.append(qty);
  }
  name.append(line.measure ? `${line.name} (${line.measure})` : line.name);
  const amount = document.createElement("span");
  amount.className = "amount";
  amount.textContent = line.amount_text;
  li.append(name, amount);
  return li;
}

export function render(view) {
  setText("store-name", view.store_name);
  $("welcome").hidden = !view.idle;
  $("sale").hidden = !!view.idle;
  if (view.idle) return;
  $("lines").replaceChildren(...view.lines.map(lineItem));
  setText("total", view.total_text);
  setText("tax", view.tax_text);
  show("discount-row", view.discount_text, "discount");
  show("paid-row", view.paid_text, "paid");
  show("rounding-row", view.rounding_text, "rounding");
  show("change-row", view.change_text, "change");
  $("thanks").hidden = view.status !== "completed";
}

const CODE = /^[0-9]{6}$/;
const PAIR_WORDS = { 400: "display.code_digits", 401: "display.code_wrong", 429: "display.too_many_codes" };
let source = null;

function showPairing(message) {
  if (source) source.close();
  source = null;
  $("welcome").hidden = true;
  $("sale").hidden = true;
  $("connection").hidden = true;
  $("pairing").hidden = false;
  setText("pairing-error", message);
  $("pairing-error").hidden = !message;
  $("pairing-code").focus();
}

async function pair(code) {
  let answer;
  try {
    answer = await fetch("/api/v1/display/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code }),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (e) {
    const said = C.t("display.till_unreachable");
    showPairing(said === "display.till_unreachable" ? UNREACHABLE : said);
    return false;
  }
  if (answer.status === 201) return true;
  showPairing(PAIR_WORDS[answer.status] ? C.t(PAIR_WORDS[answer.status]) : C.t("display.code_refused", { status: answer.status }));
  return false;
}

// The stream was refused outright: either this window is not paired (the code entry), or
// the till is not there yet (try again later rather than give up).
async function refused() {
  try {
    const answer = await fetch("/api/v1/display/paired", { credentials: "same-origin", cache: "no-store" });
    if (answer.status === 401) {
      showPairing("");
      return;
    }
  } catch (e) {
    /* the till is away: try again below */
  }
  setTimeout(connect, 5000);
}

function connect() {
  $("pairing").hidden = true;
  source = new EventSource("/api/v1/display/stream");
  source.addEventListener("sale", (event) => {
    $("connection").hidden = true;
    const view = JSON.parse(event.data);
    speak(view.language);
    render(view);
  });
  source.addEventListener("open", () => {
    $("connection").hidden = true;
  });
  source.addEventListener("error", () => {
    $("connection").hidden = false;
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      refused();
    }
  });
}

$("pairing-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("pairing-code").value.replace(/\s/g, "");
  if (!CODE.test(code)) {
    showPairing(C.t(PAIR_WORDS[400]));
    return;
  }
  $("pairing-submit").disabled = true;
  const paired = await pair(code);
  $("pairing-submit").disabled = false;
  if (!paired) return;
  $("pairing-code").value = "";
  $("pairing-error").hidden = true;
  $("welcome").hidden = false;
  connect();
});

// The display speaks the store's language (each view says which), not the cashier's: the
// customer did not choose it. Until the first view, the language this browser last showed.
let spoken = null;
async function speak(language) {
  if (!language || language === spoken) return;
  spoken = language;
  C.rememberLanguage(language);
  await C.useLanguage(language);
}

// What the display must still say when not even its words could be fetched (en.json's text).
const UNREACHABLE = "The till cannot be reached. Check it is running, then try again.";

async function start() {
  const code = new URLSearchParams(window.location.search).get("code");
  // Spent or not, the code leaves the address bar and the history, before anything waits.
  if (code !== null) window.history.replaceState(null, "", window.location.pathname);
  await speak(C.rememberedLanguage() || "en");
  if (code !== null && !(await pair(code.replace(/\s/g, "")))) return;
  connect();
}

start();
