// The page's strings in the reader's language, and dates in their locale and time zone.
//
// The server puts the `client` catalogue of the page's language on <body data-ui-strings>
// (i18n.client_catalogue: {locale, plurals, time_zone, strings}); English pages carry no strings,
// so every source string is its own English text. Write t("Text with {name}", {name}) and
// nt("{count} file", "{count} files", count): scripts/translations extracts both into
// translations/*/LC_MESSAGES/client.po, and a test fails on a string without a translation.

const fallback = { locale: document.documentElement.lang || "en", plurals: 2, time_zone: null, strings: {} };

function readCatalogue() {
  const source = document.body?.dataset.uiStrings;
  if (!source) return fallback;
  try {
    return { ...fallback, ...JSON.parse(source) };
  } catch {
    return fallback;
  }
}

const catalogue = readCatalogue();

/** The page's language as a BCP 47 tag (for Intl), e.g. "en" or "zh-Hans-CN". */
export const locale = catalogue.locale;
/** The profile's IANA time zone, or undefined: the browser's own. */
export const timeZone = catalogue.time_zone || undefined;

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Marks a text the server sends (e.g. a conversation's description it wrote) for the catalogue. */
export function N_(text) {
  return text;
}

/** The translation of `text` with its {placeholders} filled in. */
export function t(text, params) {
  const translated = catalogue.strings[text];
  return fill(typeof translated === "string" && translated ? translated : text, params);
}

/** Singular or plural by `count` (also given to the text as {count}). */
export function nt(singular, plural, count, params = {}) {
  const forms = catalogue.strings[singular];
  const index = catalogue.plurals === 1 ? 0 : count === 1 ? 0 : 1;
  const english = count === 1 ? singular : plural;
  const text = Array.isArray(forms) && forms[index] ? forms[index] : english;
  return fill(text, { count, ...params });
}

/** An Intl.DateTimeFormat in the page's language and the reader's time zone. */
export function dateTimeFormat(options) {
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(locale, options);
  }
}

/** The wait a refusal for going too fast gives (its `retry_after`, docs/protocol.md "Send rate"); from two
 *  minutes on in whole minutes, rounded up (an upload limited for the hour: "87 minutes", not "5220 seconds"). */
export function waitText(seconds) {
  if (seconds >= 120) {
    return nt("Too many at once: try again in {count} minute.", "Too many at once: try again in {count} minutes.",
      Math.ceil(seconds / 60));
  }
  return nt("Too many at once: try again in {count} second.", "Too many at once: try again in {count} seconds.",
    seconds);
}

/** What to show for a refusal: the translation of its stable `code` on a page in another
 *  language (the server's table, i18n/errors.py), else the server's own (English) message; a rate
 *  limit's with the seconds to wait (`retryAfter`) in every language, or without any wait. */
export function errorText(code, message, retryAfter = null) {
  if (code === "rate_limited") {
    if (retryAfter > 0) return waitText(retryAfter);
    // Without the wait (a refused message's bubble, which stays after it): the server's English text gives
    // the seconds, so it is not used.
    return catalogue.errors?.rate_limited || t("Too many attempts: wait a moment, then try again.");
  }
  const translated = code ? catalogue.errors?.[code] : null;
  return translated || message;
}
