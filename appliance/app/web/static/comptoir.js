/* What every screen shares (common.js), as an ES module: money read and written the shop's
 * way, api(), approvals' credentials, dialogs and the login session.
 *
 *   import C, { $, api, el, say } from "/static/comptoir.js";
 *
 * The code lives in common.js, which builds its one object in a closure and leaves it on
 * globalThis; importing it here runs it once, however many screens' modules import this file.
 */
import "./common.js";

const C = globalThis.Comptoir;
export default C;
export const {
  ApiError, $, api, el, show, say, uuid, openDialog, closeDialog, session, credentials,
  exponent, formatAmount, money, parseAmount, formatPercent, parsePercent, setCsrf,
  readAmount, formatLocal, moneyLocal, setLocale, locale, settings,
  LANGUAGES, languageOf, localeFor, setWords, t, applyWords, useLanguage, language,
  rememberLanguage, rememberedLanguage,
} = C;
