/* Comptoir screens: what the till and the back office share.
 *
 * Plain browser JavaScript, no build step. The CSP forbids inline script and style, so
 * everything here works on elements found by id and toggles the `hidden` attribute or
 * classes; nothing sets element.style.
 *
 * Sessions: login sets the HttpOnly cookie; the bearer token in the answer is dropped on
 * the floor (never stored). The CSRF token is kept in sessionStorage so that a reload, or
 * moving between the till and the back office, keeps the session.
 */
"use strict";

const Comptoir = (() => {
  const CSRF_KEY = "comptoir.csrf";
  const EXPONENTS = {
    CAD: 2, USD: 2, EUR: 2, GBP: 2, CHF: 2, UAH: 2, PLN: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2,
    DKK: 2, CZK: 2, MXN: 2, JPY: 0, KRW: 0, HUF: 2, RON: 2, BHD: 3, KWD: 3, TND: 3,
  };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const $ = (id) => document.getElementById(id);

  /* -- money: integers of minor units, formatted with the currency's exponent --------- */

  function exponent(currency) {
    if (Object.prototype.hasOwnProperty.call(EXPONENTS, currency)) return EXPONENTS[currency];
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits;
    } catch (e) {
      return 2;
    }
  }

  /** 1250 CAD → "12.50" (no float: string arithmetic on the integer). */
  function formatAmount(minor, currency) {
    const exp = exponent(currency);
    const sign = minor < 0 ? "-" : "";
    const digits = String(Math.abs(minor)).padStart(exp + 1, "0");
    if (exp === 0) return sign + groupThousands(digits);
    const whole = digits.slice(0, digits.length - exp);
    return sign + groupThousands(whole) + "." + digits.slice(digits.length - exp);
  }

  function groupThousands(whole) {
    return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /** "$ 12.50" style with the currency code, for totals people read aloud. */
  function money(minor, currency) {
    return formatAmount(minor, currency) + " " + currency;
  }

  /* -- amounts as the shop writes them ------------------------------------------------------
   *
   * The store's locale (GET /settings → locale, e.g. fr-CA) says how people here write and
   * read amounts; setLocale() is called once the settings are in. Reading (readAmount):
   *
   * - "." and "," are both decimal marks when they can only be one: 4,50 and 4.50 are 4.50
   *   in every locale, and so are ,50 (0.50) and 4, (4.00).
   * - Thousands are grouped by spaces (also no-break and narrow no-break ones, as fr-CA
   *   prints them), by an apostrophe (de-CH), or by "." or "," when the other mark is the
   *   decimal one (1,234.50 and 1.234,50 are both 1234.50) or when the same mark comes
   *   more than once (1,234,567). Groups after the first have three digits exactly.
   * - A single "." or "," followed by exactly three digits (1,234 or 1.234) is either a
   *   thousand or a decimal amount with too many decimals for the currency. It is read as
   *   thousands only where the locale groups thousands with that very mark (1,234 in en-CA,
   *   1.234 in de-DE), as decimals only where that mark is the locale's decimal one and the
   *   currency has three decimals (BHD); anywhere else it is refused as ambiguous, with a
   *   message saying how to write it: fr-CA refuses both 1,234 and 1.234.
   * - More decimals than the currency has, a sign, letters, or more than 10^12 minor units
   *   (the API's limit): refused, with a message. A leading or trailing "$" or the
   *   currency's code is allowed and ignored.
   *
   * Writing (formatLocal): Intl.NumberFormat in the store's locale, from the exact decimal
   * string (no float), so 1234567 CAD reads 12 345,67 in fr-CA and 12,345.67 in en-CA.
   */

  const MAX_MINOR = 10 ** 12;
  let storeLocale = "en";
  let storeSettings = {};

  /** GET /settings as the session last read it (currency, locale, denominations…). */
  function settings() {
    return storeSettings;
  }

  function setLocale(locale) {
    try {
      storeLocale = Intl.NumberFormat.supportedLocalesOf([locale]).length ? locale : "en";
    } catch (e) {
      storeLocale = "en";
    }
    return storeLocale;
  }

  function locale() {
    return storeLocale;
  }

  /** The locale's decimal and grouping marks, e.g. fr-CA → {decimal: ",", group: " "}. */
  function marks(loc) {
    const parts = new Intl.NumberFormat(loc || storeLocale, { numberingSystem: "latn" }).formatToParts(12345.6);
    const find = (type, fallback) => (parts.find((p) => p.type === type) || { value: fallback }).value;
    return { decimal: find("decimal", "."), group: find("group", ",") };
  }

  const SPACES = /[\s\u00a0\u2007\u2009\u202f'\u2019]/;

  /**
   * readAmount("4,50", "CAD", "fr-CA") → {minor: 450}; a refusal is {error: "…"} saying why.
   * The locale defaults to the store's (setLocale).
   */
  function readAmount(text, currency, loc) {
    const exp = exponent(currency);
    const shown = String(text === null || text === undefined ? "" : text).trim();
    // Its reasons are the screen's words (amount.*): the till says them in its language.
    const refuse = (key, values) => ({ error: t(`amount.${key}`, { text: shown, ...values }) });
    if (!shown) return { error: t("amount.type_an_amount") };
    let body = shown;
    const code = String(currency || "").toUpperCase();
    body = body.replace(/^\$\s*/, "").replace(/\s*\$$/, "");
    if (code && body.toUpperCase().endsWith(code)) body = body.slice(0, -code.length).trim();
    if (code && body.toUpperCase().startsWith(code)) body = body.slice(code.length).trim();
    if (/^[-\u2212]/.test(body)) return refuse("negative");
    if (!/^[\d.,\s\u00a0\u2007\u2009\u202f'\u2019]+$/.test(body) || !/\d/.test(body)) {
      return refuse("not_an_amount", { currency });
    }
    const { decimal: localeDecimal, group: localeGroup } = marks(loc);
    const dots = (body.match(/\./g) || []).length;
    const commas = (body.match(/,/g) || []).length;
    let decimalAt = -1; // index of the decimal mark in body, -1 for none
    if (dots && commas) {
      const last = Math.max(body.lastIndexOf("."), body.lastIndexOf(","));
      const mark = body[last];
      if ((mark === "." ? dots : commas) > 1) return refuse("two_decimal_marks");
      decimalAt = last;
    } else if (dots + commas === 1) {
      const at = body.search(/[.,]/);
      const mark = body[at];
      const after = body.slice(at + 1);
      const digitsAfter = after.replace(SPACES, "").length;
      if (/^\d{3}$/.test(after) && /\d/.test(body.slice(0, at))) {
        if (mark === localeGroup) decimalAt = -1;
        else if (mark === localeDecimal && exp === 3) decimalAt = at;
        else {
          const whole = body.slice(0, at).replace(new RegExp(SPACES.source, "g"), "");
          const thousands = formatLocal(Number(whole + after) * 10 ** exp, currency, loc);
          return refuse(exp === 1 ? "ambiguous_one" : "ambiguous", { thousands, decimals: exp });
        }
      } else {
        if (digitsAfter > exp) return refuse("too_many_decimals", { currency, decimals: exp });
        decimalAt = at;
      }
    }
    // Several of one mark and none of the other: thousands (1,234,567).
    const wholeText = decimalAt < 0 ? body : body.slice(0, decimalAt);
    const fracText = decimalAt < 0 ? "" : body.slice(decimalAt + 1);
    if (!/^\d*$/.test(fracText)) return refuse("after_decimals");
    if (fracText.length > exp) return refuse("too_many_decimals", { currency, decimals: exp });
    const groups = wholeText.split(/[.,\s\u00a0\u2007\u2009\u202f'\u2019]/);
    if (groups.length > 1) {
      const [first, ...rest] = groups;
      if (!/^\d{1,3}$/.test(first) || rest.some((g) => !/^\d{3}$/.test(g))) {
        return refuse("bad_grouping");
      }
    }
    const whole = groups.join("") || "0";
    if (!/^\d+$/.test(whole)) return refuse("not_an_amount", { currency });
    const digits = (whole + fracText.padEnd(exp, "0")).replace(/^0+(?=\d)/, "");
    if (digits.length > 13 || Number(digits) > MAX_MINOR) return refuse("too_large");
    return { minor: Number(digits) };
  }

  /** "12.5" or "12,5" in CAD → 1250; null when it is not an amount (readAmount says why). */
  function parseAmount(text, currency, loc) {
    const read = readAmount(text, currency, loc);
    return read.error ? null : read.minor;
  }

  /** 1250 CAD → "12,50" in fr-CA, "12.50" in en-CA: Intl's digits, from the exact decimal. */
  function formatLocal(minor, currency, loc) {
    const exp = exponent(currency);
    const sign = minor < 0 ? "-" : "";
    const digits = String(Math.abs(minor)).padStart(exp + 1, "0");
    const exact = exp ? `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}` : sign + digits;
    // Latin digits whatever the locale: what a till's keyboard types and readAmount reads.
    const options = { minimumFractionDigits: exp, maximumFractionDigits: exp, numberingSystem: "latn" };
    try {
      return new Intl.NumberFormat(loc || storeLocale, options).format(exact);
    } catch (e) {
      return formatAmount(minor, currency);
    }
  }

  /** "12,50 CAD": a local amount with the currency's code, for what people read aloud. */
  function moneyLocal(minor, currency, loc) {
    return formatLocal(minor, currency, loc) + " " + currency;
  }

  /** Basis points as a person reads a percentage: 1250 → "12.5", 1000 → "10". */
  function formatPercent(basisPoints) {
    const whole = Math.trunc(basisPoints / 100);
    const frac = String(Math.abs(basisPoints % 100)).padStart(2, "0").replace(/0+$/, "");
    return frac ? `${whole}.${frac}` : String(whole);
  }

  /** "12.5" → 1250 basis points; null when it is not a percentage with at most two decimals. */
  function parsePercent(text) {
    const m = /^(\d{1,3})(?:[.,](\d{0,2}))?\s*%?$/.exec(String(text).trim());
    if (!m) return null;
    return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  }

  /* -- words: what a screen says, from the shop's one catalogue per language -------------
   *
   * appliance/app/words/{lang}.json, fetched from GET /words/{lang}.json (keys
   * "<screen>.<key>"; the receipts read the same files). t("till.pay") is the chosen
   * language's text, else English, else the key; {name} is filled from `values`.
   * applyWords(root) fills what the HTML marks: data-words="till.pay" (the text),
   * data-words-label (aria-label), data-words-title, data-words-placeholder. The HTML keeps
   * its English, which shows until the words arrive (and stays when they cannot be fetched).
   *
   * Which language: the person's own choice (GET /auth/me, language), else the store's
   * locale's (fr-CA → fr). Amounts, numbers and dates follow it: the language with the
   * store's region (a cashier who reads English in a fr-CA store sees en-CA amounts).
   */

  const LANGUAGES = ["en", "fr", "uk"];
  const WORD_ATTRIBUTES = { wordsLabel: "aria-label", wordsTitle: "title", wordsPlaceholder: "placeholder" };
  const catalogues = {}; // language → {"till.pay": "…"}
  // What this file says itself, in English, for when no catalogue could be fetched (a till
  // that cannot reach the service must still say so); en.json holds the same text.
  const BUILT_IN = {
    "session.unreachable": "The till cannot reach the Comptoir service. Check it is running and try again.",
    "session.request_failed": "The request failed (HTTP {status}).",
    "session.log_in_again": "Please log in again.",
    "session.pin_one_use": "Your PIN was set for one use: choose your own at a till first.",
    "session.type_user_name": "Type your user name, or scan your badge.",
    "session.type_secret": "Type your password or PIN, or scan your badge.",
    "session.passwords_differ": "The two new passwords are not the same.",
    "session.pin_both": "Type the one-time PIN, then the PIN you choose, twice.",
    "session.pins_differ": "The two new PINs are not the same.",
    "session.session_ended": "The session ended; log in again.",
    "session.role_customer": "customer",
    "session.role_cashier": "cashier",
    "session.role_supervisor": "supervisor",
    "session.role_manager": "manager",
    "session.role_admin": "admin",
    "session.role_auditor": "auditor",
    "amount.type_an_amount": "Type an amount.",
    "amount.negative": "“{text}” is negative: type the amount without a sign.",
    "amount.not_an_amount": "“{text}” is not an amount in {currency}.",
    "amount.two_decimal_marks": "“{text}” has two decimal marks.",
    "amount.ambiguous_one": "“{text}” is ambiguous here: type {thousands} if that is what you mean, or at most 1 decimal.",
    "amount.ambiguous": "“{text}” is ambiguous here: type {thousands} if that is what you mean, or at most {decimals} decimals.",
    "amount.too_many_decimals": "“{text}” has more decimals than {currency} allows ({decimals}).",
    "amount.after_decimals": "“{text}” has something after its decimals.",
    "amount.bad_grouping": "“{text}” is not an amount: thousands are groups of three digits (1 234,50).",
    "amount.too_large": "“{text}” is too large an amount.",
  };
  let language = "en";
  let storeLocaleTag = "en";

  /** fr-CA → fr; a language without words → en. */
  function languageOf(tag) {
    const code = String(tag || "").replace("_", "-").split("-")[0].toLowerCase();
    return LANGUAGES.includes(code) ? code : "en";
  }

  /** {"till": {"pay": …}} → {"till.pay": …}. */
  function flatten(catalogue) {
    const flat = {};
    for (const [screen, keys] of Object.entries(catalogue || {})) {
      for (const [key, text] of Object.entries(keys || {})) flat[`${screen}.${key}`] = text;
    }
    return flat;
  }

  /** Keeps a language's catalogue (as the server sends it); the screens and the tests call it. */
  function setWords(code, catalogue) {
    catalogues[code] = flatten(catalogue);
  }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (whole, name) =>
      values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
  }

  /** t("till.change_due", {amount}) in the chosen language, else English, else the key. */
  function t(key, values) {
    const own = catalogues[language] && catalogues[language][key];
    const english = catalogues.en && catalogues.en[key];
    return fill(own || english || BUILT_IN[key] || key, values);
  }

  function language_() {
    return language;
  }

  /** The locale amounts and dates are written in: the language with the store's region. */
  function localeFor(code, storeTag) {
    const tag = String(storeTag || "en").replace("_", "-");
    if (languageOf(tag) === code) return tag;
    const region = tag.split("-")[1];
    const fallback = { en: "en-CA", fr: "fr-CA", uk: "uk-UA" }[code];
    return region && /^[A-Za-z]{2}$/.test(region) ? `${code}-${region.toUpperCase()}` : fallback;
  }

  async function fetchWords(code) {
    if (catalogues[code]) return;
    const answer = await fetch(`/words/${code}.json`, { credentials: "same-origin" });
    if (!answer.ok) throw new ApiError(answer.status, "words", `No words in ${code}.`);
    setWords(code, await answer.json());
  }

  /**
   * Speaks `code` (en, fr, uk; anything else: the store's locale's language) from now on:
   * fetches its words (and English, the fallback), fills the page, and writes amounts in its
   * locale. A catalogue that cannot be fetched leaves the English the page has.
   */
  // One change of language at a time, in the order asked: the login screen's (the store's)
  // must not land after the person's own.
  let languageTurn = Promise.resolve();

  function useLanguage(code, storeTag) {
    const turn = languageTurn.then(() => switchLanguage(code, storeTag));
    languageTurn = turn.catch(() => {});
    return turn;
  }

  async function switchLanguage(code, storeTag) {
    if (storeTag !== undefined) storeLocaleTag = storeTag || "en";
    const chosen = LANGUAGES.includes(code) ? code : languageOf(storeLocaleTag);
    try {
      await Promise.all([fetchWords("en"), fetchWords(chosen)]);
      language = chosen;
    } catch (e) {
      language = catalogues[chosen] ? chosen : "en";
    }
    setLocale(localeFor(language, storeLocaleTag));
    if (typeof document !== "undefined") {
      document.documentElement.lang = language;
      applyWords(document);
    }
    return language;
  }

  const LOCALE_KEY = "comptoir.store-locale";

  function rememberStoreLocale(tag) {
    try {
      if (tag) localStorage.setItem(LOCALE_KEY, tag);
    } catch (e) {
      /* no storage: the login screen speaks English */
    }
  }

  function rememberedStoreLocale() {
    try {
      return localStorage.getItem(LOCALE_KEY) || "en";
    } catch (e) {
      return "en";
    }
  }

  // A screen without a login (the customer display) keeps the language it last spoke here.
  const SPOKEN_KEY = "comptoir.spoken-language";

  function rememberLanguage(code) {
    try {
      localStorage.setItem(SPOKEN_KEY, code);
    } catch (e) {
      /* no storage: the next load starts in English */
    }
  }

  function rememberedLanguage() {
    try {
      return localStorage.getItem(SPOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  /** Fills the elements under `root` that the HTML marks with data-words* (see above). */
  function applyWords(root) {
    const scope = root || document;
    const marked = scope.querySelectorAll("[data-words], [data-words-label], [data-words-title], [data-words-placeholder]");
    for (const node of [...(scope.dataset ? [scope] : []), ...marked]) {
      const data = node.dataset;
      if (!data) continue;
      if (data.words) node.textContent = t(data.words);
      for (const [name, attribute] of Object.entries(WORD_ATTRIBUTES)) {
        if (data[name]) node.setAttribute(attribute, t(data[name]));
      }
    }
  }

  /* -- the API ------------------------------------------------------------------------- */

  const handlers = { expired: null, mustChange: null, mustChangePin: null };

  function csrf() {
    try {
      return sessionStorage.getItem(CSRF_KEY);
    } catch (e) {
      return null;
    }
  }

  function setCsrf(token) {
    try {
      if (token) sessionStorage.setItem(CSRF_KEY, token);
      else sessionStorage.removeItem(CSRF_KEY);
    } catch (e) {
      /* private mode: the session lasts this page only */
    }
  }

  /**
   * api("POST", "/sales", {json: {...}, headers: {...}, body, contentType, text: true})
   * Resolves with the parsed answer; rejects with ApiError carrying the API's own message.
   * `csrf`: a token the screen holds itself (the self-service kiosk's, never stored); then the
   * stored one is neither sent nor dropped, and no handler runs: the screen signs in again.
   * A 401 that means "no session" goes to the expired handler; a 403 password_change_required
   * to the must-change handler. Both still reject, so callers stop what they were doing.
   */
  async function api(method, path, opts = {}) {
    const headers = Object.assign({ Accept: opts.text ? "text/plain" : "application/json" }, opts.headers);
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.contentType) {
      headers["Content-Type"] = opts.contentType;
    }
    const own = opts.csrf !== undefined;
    if (method !== "GET" && method !== "HEAD") {
      const token = own ? opts.csrf : csrf();
      if (token) headers["X-CSRF-Token"] = token;
    }
    let response;
    try {
      response = await fetch("/api/v1" + path, {
        method, headers, body, credentials: "same-origin", cache: "no-store",
      });
    } catch (e) {
      throw new ApiError(0, "network", t("session.unreachable"));
    }
    if (response.ok) {
      if (opts.text) return response.text();
      return response.json();
    }
    let code = "http_" + response.status;
    let message = t("session.request_failed", { status: response.status });
    let details = null; // what a refusal names (receipt_ambiguous: the stores)
    try {
      const data = await response.json();
      if (data && data.error) {
        code = data.error.code || code;
        message = data.error.message || message;
        details = data.error.details || null;
      }
    } catch (e) {
      /* not JSON: keep the generic words */
    }
    const err = new ApiError(response.status, code, sentence(message));
    err.details = details;
    if (response.status === 401 && code !== "bad_credentials" && !opts.noExpiry) {
      setCsrf(null);
      if (handlers.expired) handlers.expired(err);
    } else if (response.status === 403 && code === "password_change_required" && handlers.mustChange) {
      handlers.mustChange(err);
    } else if (response.status === 403 && code === "pin_change_required" && handlers.mustChangePin) {
      handlers.mustChangePin(err);
    } else if (response.status === 403 && code === "csrf_failed" && !own) {
      setCsrf(null);
      if (handlers.expired) handlers.expired(new ApiError(401, code, t("session.log_in_again")));
    }
    throw err;
  }

  function sentence(message) {
    const text = String(message || "").trim();
    if (!text) return text;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /* -- small DOM helpers ------------------------------------------------------------------ */

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  /** Shows a message in a role="alert" element (an empty message clears it). */
  function say(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Opens a <dialog> modally and remembers what had focus, to give it back on close. */
  function openDialog(dialog, focus) {
    if (!dialog.open) dialog.showModal();
    const target = focus || dialog.querySelector("[autofocus], input, button");
    if (target) target.focus();
  }

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  /* -- login and the forced password change (both screens have the same two forms) ---- */

  /**
   * What a login or approval form's two fields send: a secret of 4 to 8 digits is a PIN (a
   * password has 12 characters or more), and a user-name field holding a scanned badge with
   * no secret is a badge.
   */
  function credentials(username, secret) {
    if (!secret) return { badge: username };
    if (/^[0-9]{4,8}$/.test(secret)) return { username, pin: secret };
    return { username, password: secret };
  }

  /**
   * Wires #login-form and #password-form. `onReady(me, settings)` runs once someone is
   * logged in with a usable password; `beforeLogout()`, if given, is awaited before the
   * session ends (its failure does not stop the logout). Returns {start, logout}.
   */
  function session({ onReady, onLoggedOut, beforeLogout, onLanguage, words }) {
    // `words`: the page is marked for applyWords and speaks the person's language (the till
    // and the back office); a page without it stays in its English, amounts in the store's locale.
    const speak = words ? useLanguage : async (code, storeTag) => {
      if (storeTag !== undefined) setLocale(storeTag || "en");
    };
    const views = { login: $("login-view"), password: $("password-view"), app: $("app-view") };
    // The till has a forced PIN change too (a one-time PIN opens only that); the back office
    // screens do not: a cashier's PIN opens nothing there.
    const pinForm = $("pin-form");
    if (pinForm) views.pin = $("pin-view");
    const loginForm = $("login-form");
    const loginError = $("login-error");
    const passwordForm = $("password-form");
    const userBox = $("user-box");
    let busy = false;
    let who = null; // GET /auth/me of whoever is logged in

    /** "lea (cashier)", the role in the screen's words. */
    function showWho() {
      if (who) $("user-name").textContent = `${who.username} (${t(`session.role_${who.role}`)})`;
    }

    function showView(name) {
      for (const [key, node] of Object.entries(views)) show(node, key === name);
      show(userBox, name !== "login");
      if (name === "login") {
        passwordForm.reset();
        if (pinForm) pinForm.reset();
        $("login-password").value = "";
        $("login-username").focus();
      } else if (name === "password") {
        $("password-current").focus();
      } else if (name === "pin") {
        $("pin-current").focus();
      }
    }

    async function enter() {
      const me = await api("GET", "/auth/me");
      who = me;
      showWho();
      if (me.must_change_password) {
        showView("password");
        return;
      }
      if (me.must_change_pin) {
        if (views.pin) {
          showView("pin");
        } else {
          await logout();
          say(loginError, t("session.pin_one_use"));
        }
        return;
      }
      const settings = await api("GET", "/settings");
      storeSettings = settings;
      rememberStoreLocale(settings.locale);
      // The person's own language, else the store's; amounts are typed and shown its way from now on.
      await speak(me.language, settings.locale || "en");
      markLanguage();
      showWho();
      const store = $("store-name");
      if (store) store.textContent = settings.store_name;
      document.title = settings.store_name + " — " + document.title.replace(/^.* — /, "");
      showView("app");
      onReady(me, settings);
    }

    loginForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      say(loginError, "");
      const submit = loginForm.querySelector("button[type=submit]");
      submit.disabled = true;
      const username = $("login-username").value.trim();
      const secret = $("login-password").value;
      try {
        if (!username) throw new ApiError(0, "missing", t("session.type_user_name"));
        const answer = await api("POST", "/auth/login", { json: credentials(username, secret), noExpiry: true });
        setCsrf(answer.csrf_token);
        $("login-password").value = "";
        await enter();
      } catch (err) {
        // A name with no secret went as a badge: say what was missing, not "unknown badge".
        const forgot = !secret && err.status === 401;
        say(loginError, forgot ? t("session.type_secret") : err.message);
        $("login-password").value = "";
        $("login-password").focus();
      } finally {
        busy = false;
        submit.disabled = false;
      }
    });

    // The change of a one-time password or PIN: the same form, checks and call for both.
    function onSecretChange(form, name, path, differ, both) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (busy) return;
        const error = $(`${name}-error`);
        say(error, "");
        const current = $(`${name}-current`).value;
        const fresh = $(`${name}-new`).value;
        if (both && (!current || !fresh)) {
          say(error, t(both));
          $(current ? `${name}-new` : `${name}-current`).focus();
          return;
        }
        if (fresh !== $(`${name}-confirm`).value) {
          say(error, t(differ));
          $(`${name}-confirm`).focus();
          return;
        }
        busy = true;
        try {
          await api("POST", path, { json: { current, new: fresh } });
          form.reset();
          await enter();
        } catch (err) {
          say(error, err.message);
        } finally {
          busy = false;
        }
      });
    }

    onSecretChange(passwordForm, "password", "/auth/password", "session.passwords_differ");
    if (pinForm) {
      onSecretChange(pinForm, "pin", "/auth/pin", "session.pins_differ", "session.pin_both");
      const cancelPin = $("pin-logout");
      if (cancelPin) cancelPin.addEventListener("click", () => logout());
    }

    async function logout() {
      if (beforeLogout) {
        try {
          await beforeLogout();
        } catch (e) {
          /* what it could not do, the server's own logout still does for the user's sales */
        }
      }
      try {
        await api("POST", "/auth/logout", { noExpiry: true });
      } catch (e) {
        /* the session may be gone already; the screen still goes back to login */
      }
      setCsrf(null);
      await speak(null); // the next person starts in the store's language
      if (onLoggedOut) onLoggedOut();
      // The next person may scan a badge into the user-name field: it starts empty.
      $("login-username").value = "";
      showView("login");
    }

    // The language menu (buttons .lang-choice with data-lang): the person's own choice, kept
    // with their account (POST /auth/language) and applied at once, the screen as it was.
    const choices = typeof document === "undefined" ? [] : [...document.querySelectorAll(".lang-choice")];
    function markLanguage() {
      for (const button of choices) button.setAttribute("aria-pressed", String(button.dataset.lang === language));
    }
    for (const button of choices) {
      button.addEventListener("click", async () => {
        const code = button.dataset.lang;
        try {
          await api("POST", "/auth/language", { json: { language: code } });
        } catch (err) {
          return; // not kept (the session ended…): the screen stays as it is
        }
        await speak(code);
        markLanguage();
        showWho();
        if (onLanguage) onLanguage(code);
      });
    }

    const logoutButton = $("logout");
    if (logoutButton) logoutButton.addEventListener("click", logout);
    const cancelPassword = $("password-logout");
    if (cancelPassword) cancelPassword.addEventListener("click", logout);

    handlers.expired = (err) => {
      for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
      if (onLoggedOut) onLoggedOut();
      showView("login");
      say(loginError, err.message || t("session.session_ended"));
    };
    handlers.mustChange = () => showView("password");
    handlers.mustChangePin = () => {
      if (views.pin) showView("pin");
    };

    async function start() {
      // The login screen speaks the store's language, as this screen last learnt it.
      const ready = words ? useLanguage(null, rememberedStoreLocale()) : null;
      if (!csrf()) {
        await ready;
        showView("login");
        return;
      }
      try {
        await enter();
      } catch (err) {
        if (err.status !== 401 && err.status !== 403) {
          showView("login");
          say(loginError, err.message);
        }
      }
    }

    return { start, logout, showView };
  }

  return {
    ApiError, $, api, el, show, say, uuid, openDialog, closeDialog, session, credentials,
    exponent, formatAmount, money, parseAmount, formatPercent, parsePercent, setCsrf,
    readAmount, formatLocal, moneyLocal, setLocale, locale, settings,
    LANGUAGES, languageOf, localeFor, setWords, t, applyWords, useLanguage, language: language_,
    rememberLanguage, rememberedLanguage,
  };
})();

// Every screen imports comptoir.js, which imports this file as a module (where a top-level
// const is not global) and re-exports this object's parts by name; node --test does the same.
globalThis.Comptoir = Comptoir;
