/* The self-service screen's words: every string it shows, from the shop's one catalogue.
 *
 * The same files the receipts read (appliance/app/words/{lang}.json), keys "selfservice.*".
 * Until they arrive the page shows the English written in its HTML, never a raw key; start()
 * waits for them before the first customer can touch anything. The kiosk has no login, so it
 * fetches the three languages at once (a customer switches at a touch) instead of common.js's
 * per-person language. */

export const LANGUAGES = ["en", "fr", "uk"];
export const DEFAULT_LANG = "en";
const WORDS = {};
// The two things the screen must still be able to say when the catalogue itself cannot be
// fetched: en.json's own text (tests/integration/http/test_words.py holds them equal).
const UNREACHABLE = {
  offline: "The till is not answering. Please wait.",
  error: "Something went wrong. Please call an attendant.",
};
// The language's own way of writing amounts (common.js formatLocal, its currency table).
const LOCALES = { en: "en-CA", fr: "fr-CA", uk: "uk-UA" };
let lang = DEFAULT_LANG;

/** Fetches every language's selfservice words; a failure rejects with {status} (0: offline). */
export async function loadWords(get = fetch) {
  const found = await Promise.all(
    LANGUAGES.map(async (code) => {
      let answer;
      try {
        answer = await get(`/words/${code}.json`, { credentials: "same-origin" });
      } catch (err) {
        throw { status: 0 }; // read as "the till is not answering"
      }
      if (!answer.ok) throw { status: answer.status };
      return [code, (await answer.json()).selfservice || {}];
    }),
  );
  for (const [code, words] of found) WORDS[code] = words;
}

/** The words of `key` in `code`, else English, else what the screen says offline, else the
 * key; a {name} not in `values` is left out (a customer never reads a brace). */
export function wordsFor(catalogues, code, key, values) {
  const text = (catalogues[code] && catalogues[code][key]) || (catalogues.en && catalogues.en[key]) || UNREACHABLE[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
}

export function t(key, values) {
  return wordsFor(WORDS, lang, key, values);
}

/** Speaks `code` from now on if its words came, else the default; returns the one spoken. */
export function speak(code) {
  lang = WORDS[code] ? code : DEFAULT_LANG;
  return lang;
}

/** Where amounts are written the way the language spoken writes them. */
export function amountLocale() {
  return LOCALES[lang] || LOCALES[DEFAULT_LANG];
}
