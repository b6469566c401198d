// Who is online, and when they were last seen, as far as the server lets this user see it
// (docs/protocol.md "Presence and typing"). Filled by the presence:query and conversation:presence
// answers, kept live by presence:batch and presence frames; `onChange(userIds)` redraws the dots.

import { dateTimeFormat, t } from "../i18n.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const QUERY_MAX = 200;

export class PresenceBook {
  constructor({ connection, onChange }) {
    this.connection = connection;
    this.onChange = onChange;
    this.entries = new Map(); // user id -> {user_id, visible, online, last_seen_at}
    connection.socket.on("presence:batch", ({ users }) => this.note(users));
    connection.socket.on("presence", (entry) => this.note([entry]));
    // The user changed their own settings (here or elsewhere): `last_seen: nobody` also hides the others'
    // presence from them, and leaving it shows it again; only privacy:updated says so, so ask anew.
    connection.socket.on("privacy:updated", () => this.query([...this.entries.keys()]));
  }

  note(entries) {
    if (!entries?.length) return;
    for (const entry of entries) this.entries.set(entry.user_id, entry);
    this.onChange(new Set(entries.map((entry) => entry.user_id)));
  }

  get(userId) {
    return this.entries.get(userId) || null;
  }

  /** Ask for these people's presence (after every connect: what changed meanwhile was not told). */
  async query(userIds) {
    const ids = [...new Set(userIds.filter(Boolean))];
    for (let start = 0; start < ids.length; start += QUERY_MAX) {
      const ack = await this.ask("presence:query", { user_ids: ids.slice(start, start + QUERY_MAX) });
      if (ack) this.note(ack.presence);
    }
  }

  /** A conversation's members' presence; resolves with its online count (null if unknown). */
  async conversation(conversationId) {
    const ack = await this.ask("conversation:presence", { conversation_id: conversationId });
    if (!ack) return null;
    this.note(ack.presence);
    return ack.online_count;
  }

  async ask(event, payload) {
    if (!this.connection.connected) return null;
    try {
      const ack = await this.connection.request(event, payload);
      return ack?.ok ? ack : null;
    } catch {
      return null; // presence is a nicety: the page works without it
    }
  }
}

/** "online", "offline" or "hidden" (privacy settings or a block hide it; unknown yet). */
export function presenceState(entry) {
  if (!entry || !entry.visible) return "hidden";
  return entry.online ? "online" : "offline";
}

// In the page's language and the profile's time zone (else the browser's), as the page's other times.
const timeFormat = dateTimeFormat({ hour: "2-digit", minute: "2-digit" });
const dateFormat = dateTimeFormat({ day: "numeric", month: "short" });
const yearDateFormat = dateTimeFormat({ day: "numeric", month: "short", year: "numeric" });
const dayFormat = dateTimeFormat({ year: "numeric", month: "2-digit", day: "2-digit" });
const yearFormat = dateTimeFormat({ year: "numeric" });

/** "online", "last seen today at 14:05", "last seen yesterday at 09:12", "last seen 3 Dec at 18:40". */
export function presenceLabel(entry, now = new Date()) {
  if (!entry || !entry.visible) return "";
  if (entry.online) return t("online");
  if (!entry.last_seen_at) return t("offline");
  const seen = new Date(entry.last_seen_at);
  if (Number.isNaN(seen.getTime())) return t("offline");
  const time = timeFormat.format(seen);
  if (dayFormat.format(seen) === dayFormat.format(now)) return t("last seen today at {time}", { time });
  if (dayFormat.format(seen) === dayFormat.format(new Date(now.getTime() - DAY_MS))) {
    return t("last seen yesterday at {time}", { time });
  }
  const sameYear = yearFormat.format(seen) === yearFormat.format(now);
  const date = (sameYear ? dateFormat : yearDateFormat).format(seen);
  return t("last seen {date} at {time}", { date, time });
}
