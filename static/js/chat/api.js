// REST calls from the page: session cookie + the CSRF token header; errors become ApiError.
// A FormData body goes as multipart (an upload), anything else as JSON.

import { errorText, t } from "../i18n.js";

export const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";
let signedOutShown = false; // session-notice.js says why on the page: a refusal does not leave it

/** The page says itself why its session ended: refused requests no longer go to the login page. */
export function stayWhenSignedOut() {
  signedOutShown = true;
}

export class ApiError extends Error {
  /** `retryAfter`: the seconds a `rate_limited` refusal says to wait (toast() counts them down). */
  constructor(message, code, status, retryAfter = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    options.headers["X-CSRFToken"] = csrfToken;
    if (body instanceof FormData) {
      options.body = body; // the browser sets the multipart Content-Type with its boundary
    } else {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body ?? {});
    }
  }
  let response;
  try {
    response = await fetch("/api" + path, options);
  } catch {
    throw new ApiError(t("The server cannot be reached. Check your connection."), "network_error", 0);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (response.status === 401 && !signedOutShown) {
    // The session ended (logout in another tab, account deactivated): back to the login page.
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
  }
  if (!response.ok || !payload || payload.ok === false) {
    const error = payload?.error;
    const text = errorText(error?.code, error?.message, error?.retry_after);
    throw new ApiError(text || t("Request failed ({status}).", { status: response.status }), error?.code,
      response.status, error?.retry_after);
  }
  return payload;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}
