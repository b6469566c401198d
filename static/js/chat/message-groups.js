// How the message list reads: a separator above each day's first message ("Today", "Yesterday",
// then dates, in the page's language and the profile's time zone), and runs of messages from one
// sender within a few minutes grouped (name and picture on the first of the run only).
//
// arrange() works from the list as it is on the page, whatever changed it: a conversation shown,
// older pages put in above, live messages below, a message deleted, a window far back (a jump).
// Each <li class="message"> carries data-created-at and data-sender (thread-view.js).

import { el, parseTime } from "./dom.js";
import { dateTimeFormat, t } from "../i18n.js";

const RUN_GAP_MS = 5 * 60 * 1000; // a pause longer than this starts a new run, with the name again
const DAY_CHECK_MS = 60 * 1000;

const dayParts = dateTimeFormat({ year: "numeric", month: "2-digit", day: "2-digit" });
const clockFormat = dateTimeFormat({ hour: "2-digit", minute: "2-digit" });
const dateThisYear = dateTimeFormat({ weekday: "long", day: "numeric", month: "long" });
const dateOtherYear = dateTimeFormat({ weekday: "long", day: "numeric", month: "long", year: "numeric" });

/** "2026-12-02": the calendar day of a moment in the reader's time zone. */
function dayKey(moment) {
  const parts = Object.fromEntries(dayParts.formatToParts(moment).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The day before a day key, by the calendar (a day may have 23 or 25 hours). */
function dayBefore(key) {
  const [year, month, day] = key.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day - 1)).toISOString().slice(0, 10);
}

/** "Today", "Yesterday", else the date ("Tuesday, 1 December", with the year when not this one). */
function dayLabel(moment, now = new Date()) {
  const key = dayKey(moment);
  const today = dayKey(now);
  if (key === today) return t("Today");
  if (key === dayBefore(today)) return t("Yesterday");
  return (key.slice(0, 4) === today.slice(0, 4) ? dateThisYear : dateOtherYear).format(moment);
}

/** "14:05": under a message, whose day its separator says. */
export function clockTime(iso) {
  const moment = parseTime(iso);
  return moment ? clockFormat.format(moment) : "";
}

function separator(key, moment) {
  return el("li", { className: "day-separator", dataset: { day: key } },
    [el("span", { className: "day-label", text: dayLabel(moment) })]);
}

export class MessageGroups {
  constructor(list) {
    this.list = list;
    this.days = new Map(); // created_at -> day key (a message's day never changes: the zone is the page's)
    this.today = dayKey(new Date());
    // After midnight "Today" becomes "Yesterday": draw the labels again once the day changed.
    setInterval(() => {
      if (dayKey(new Date()) !== this.today) this.arrange();
    }, DAY_CHECK_MS);
  }

  /** The day key of a message's time, remembered: arrange() runs on every change of the list. */
  dayOf(iso, moment) {
    let day = this.days.get(iso);
    if (!day) this.days.set(iso, (day = dayKey(moment)));
    return day;
  }

  /** Put the day separators where they belong and mark each message that continues a run. */
  arrange() {
    this.today = dayKey(new Date());
    const kept = new Set();
    let previous = null; // the last shown message, with its day and time
    for (const item of [...this.list.children]) {
      if (!item.classList.contains("message") || item.hidden) continue;
      const moment = parseTime(item.dataset.createdAt);
      if (!moment) continue;
      const day = this.dayOf(item.dataset.createdAt, moment);
      if (day !== previous?.day) kept.add(this.separatorBefore(item, day, moment));
      const sender = item.dataset.sender || "";
      const continues = Boolean(previous && previous.day === day && sender && previous.sender === sender
        && !item.classList.contains("system") && moment - previous.moment <= RUN_GAP_MS);
      item.classList.toggle("continued", continues);
      previous = { day, moment, sender: item.classList.contains("system") ? "" : sender };
    }
    for (const stale of this.list.querySelectorAll(":scope > .day-separator")) {
      if (!kept.has(stale)) stale.remove();
    }
  }

  /** The separator of `day` right above `item` (an unread divider may sit between them), reused if there. */
  separatorBefore(item, day, moment) {
    let sibling = item.previousElementSibling;
    while (sibling && !sibling.classList.contains("message") && !sibling.classList.contains("day-separator")) {
      sibling = sibling.previousElementSibling;
    }
    if (sibling?.classList.contains("day-separator") && sibling.dataset.day === day) {
      sibling.firstChild.textContent = dayLabel(moment); // "Today" may have become "Yesterday"
      return sibling;
    }
    const fresh = separator(day, moment);
    this.list.insertBefore(fresh, item);
    return fresh;
  }
}
