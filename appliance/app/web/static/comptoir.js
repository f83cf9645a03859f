/* What every screen shares (common.js), as an ES module: money read and written the shop's
 * way, api(), approvals' credentials, dialogs and the login session.
 *
 *   import C, { $, api, el, say } from "/static/comptoir.js";
 *
 * The code lives in common.js, which the manager and back-office pages still load as a
 * plain script: importing it here runs it once as a module, and it leaves its one object on
 * globalThis. When those pages load it as a module too, common.js can export these itself.
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
