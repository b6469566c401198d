// Building DOM without HTML strings: every piece of user text goes through textContent.

import { dateTimeFormat, waitText } from "../i18n.js";

export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  const { className, text, attrs, dataset, on } = options;
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const [name, value] of Object.entries(dataset || {})) node.dataset[name] = String(value);
  for (const [event, handler] of Object.entries(on || {})) node.addEventListener(event, handler);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Makes `current` the same as `wanted`, a fresh drawing of the same thing by el(), changing only what differs:
 *  the elements stay the ones a user is pressing, hovering or focusing (a click is a press and a release on the
 *  same element). Listeners stay `current`'s: the drawings of one thing must listen alike. Returns what is shown. */
export function morph(current, wanted) {
  if (current.nodeName !== wanted.nodeName) {
    current.replaceWith(wanted);
    return wanted;
  }
  if (current.nodeType === Node.TEXT_NODE) {
    if (current.data !== wanted.data) current.data = wanted.data;
    return current;
  }
  for (const { name } of [...current.attributes]) if (!wanted.hasAttribute(name)) current.removeAttribute(name);
  for (const { name, value } of wanted.attributes) {
    if (current.getAttribute(name) !== value) current.setAttribute(name, value);
  }
  const children = [...wanted.childNodes];
  children.forEach((child, index) => {
    const shown = current.childNodes[index];
    if (shown) morph(shown, child);
    else current.append(child);
  });
  while (current.childNodes.length > children.length) current.lastChild.remove();
  return current;
}

/** `list` shows `items` (fresh drawings by el(), in order), each known by `keyOf(item)`: one already shown is
 *  changed in place (morph), so a click pressed on it before a change and released after still clicks it; one
 *  that moved is moved, one no longer drawn removed. For lists that live events redraw under the pointer. */
export function drawList(list, items, keyOf) {
  const shown = new Map([...list.children].map((entry) => [keyOf(entry), entry]));
  items.forEach((item, index) => {
    const current = shown.get(keyOf(item));
    const entry = current ? morph(current, item) : item;
    if (list.children[index] !== entry) list.insertBefore(entry, list.children[index] || null);
  });
  while (list.children.length > items.length) list.lastElementChild.remove();
}

/** Enter in `textarea` calls `send`, Shift+Enter adds a line (the composer, a file's caption); not the
 *  Enter that confirms an IME composition (Japanese, Chinese…). */
export function sendOnEnter(textarea, send) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** An element with role=button that is not a <button> (a picture): a click, Enter or Space does `action`. */
export function actsAsButton(element, action) {
  element.addEventListener("click", action);
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault(); // Space would scroll the page
    action(event);
  });
}

// In the page's language and the profile's time zone (else the browser's): i18n.js.
const timeFormat = dateTimeFormat({ hour: "2-digit", minute: "2-digit" });
const dateFormat = dateTimeFormat({ day: "numeric", month: "short" });
const fullFormat = dateTimeFormat({ dateStyle: "full", timeStyle: "short" });
const dayFormat = dateTimeFormat({ year: "numeric", month: "2-digit", day: "2-digit" });

export function parseTime(iso) {
  const moment = iso ? new Date(iso) : null;
  return moment && !Number.isNaN(moment.getTime()) ? moment : null;
}

// "Today" in the reader's time zone, which may not be the browser's.
function sameDay(first, second) {
  return dayFormat.format(first) === dayFormat.format(second);
}

/** "14:05" today, "3 Mar" before: for the sidebar. */
export function shortTime(iso) {
  const moment = parseTime(iso);
  if (!moment) return "";
  return sameDay(moment, new Date()) ? timeFormat.format(moment) : dateFormat.format(moment);
}

/** "14:05" today, "3 Mar 14:05" before: where no day separator says the day (search results, a group's preview). */
export function messageTime(iso) {
  const moment = parseTime(iso);
  if (!moment) return "";
  const time = timeFormat.format(moment);
  return sameDay(moment, new Date()) ? time : `${dateFormat.format(moment)} ${time}`;
}

export function fullTime(iso) {
  const moment = parseTime(iso);
  return moment ? fullFormat.format(moment) : "";
}

export function initial(name) {
  return (name || "?").trim().charAt(0).toUpperCase() || "?";
}

/** A client_id for message:send; crypto.randomUUID only exists on secure origins. */
export function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function debounce(action, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => action(...args), wait);
  };
}

/** A short notice in the corner; errors stay a little longer. `message` may be an error: a refusal for
 *  going too fast (its `retryAfter`, from the server's `retry_after`) shows as the one wait toast. */
export function toast(message, kind = "error") {
  if (message instanceof Error) {
    if (message.retryAfter > 0) {
      waitToast(message.retryAfter);
      return;
    }
    message = message.message;
  }
  const region = document.getElementById("toast-region");
  const role = kind === "error" ? "alert" : "status";
  const note = el("div", { className: `toast ${kind}`, text: message, attrs: { role } });
  region.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 8000 : 4000);
}

let waiting = null; // the rate limit's toast while it counts down: {note, until, timer}

/** Rate limited (docs/protocol.md "Send rate"): however many actions were refused, one toast, its wait
 *  the longest of theirs still running (an upload limited for an hour is not allowed sooner because a send
 *  was limited for 3 s since), counting it down and gone when it is over. */
function waitToast(seconds) {
  const region = document.getElementById("toast-region");
  if (!waiting) {
    // A timer (ARIA): a countdown that screen readers do not read out again at every second.
    const note = el("div", { className: "toast error rate-limit", attrs: { role: "timer" } });
    region.append(note);
    waiting = { note, announcement: null, until: 0, timer: null };
  }
  waiting.until = Math.max(waiting.until, Date.now() + seconds * 1000);
  clearTimeout(waiting.timer);
  countDown();
  // The refusal itself is read out once, as an alert beside the silent timer: a new node each time, which
  // screen readers announce even when its words are the last one's.
  const announcement = el("div", { className: "visually-hidden rate-limit-announcement",
    text: waiting.note.textContent, attrs: { role: "alert" } });
  if (waiting.announcement) waiting.announcement.replaceWith(announcement);
  else region.append(announcement);
  waiting.announcement = announcement;
}

function countDown() {
  const left = waiting.until - Date.now();
  if (left <= 0) {
    waiting.note.remove();
    waiting.announcement?.remove();
    waiting = null;
    return;
  }
  const count = Math.ceil(left / 1000);
  waiting.note.textContent = waitText(count);
  waiting.timer = setTimeout(countDown, left - (count - 1) * 1000); // when the next whole second is reached
}
