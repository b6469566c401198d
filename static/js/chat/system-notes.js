// A group's membership notes ("Alice added Bob"): system messages whose `system` says what happened
// (docs/protocol.md "Membership notes"). Worded here, in the reader's language, from those fields;
// the English `body` the server stores is for other clients. Names are the newest the page knows.

import { el, fullTime } from "./dom.js";
import { knownName } from "./avatars.js";
import { clockTime } from "./message-groups.js";
import { t } from "../i18n.js";

const ROLE_TEXTS = {
  owner: (names) => t("{actor} made {user} an owner", names),
  admin: (names) => t("{actor} made {user} an admin", names),
  member: (names) => t("{actor} made {user} a member", names),
};

/** The note's sentence, or null for a message that is not a membership note. */
export function noteText(system) {
  if (!system || !system.event) return null;
  const names = {
    actor: (system.actor_id && knownName(system.actor_id)) || system.actor_name || t("An operator"),
    user: (system.user_id && knownName(system.user_id)) || system.user_name || t("Someone"),
    name: system.name || "",
  };
  switch (system.event) {
    case "member_joined": return t("{user} joined the group", names);
    case "member_added": return t("{actor} added {user}", names);
    case "member_left": return t("{user} left the group", names);
    case "member_removed": return t("{actor} removed {user}", names);
    case "role_changed":
      if (!system.actor_id && system.role === "owner") return t("{user} is now an owner", names);
      return (ROLE_TEXTS[system.role] || ROLE_TEXTS.member)(names);
    case "ownership_transferred": return t("{actor} made {user} the group's owner", names);
    case "group_renamed": return t("{actor} renamed the group to “{name}”", names);
    case "description_changed": return t("{actor} changed the group's description", names);
    default: return null; // a kind of note this page does not know yet: the server's English sentence
  }
}

/** A note in the conversation: centred text (never HTML), with its time as a message shows it. */
export function noteElement(message) {
  const text = noteText(message.system) ?? message.body;
  return el("li", {
    className: "message system note",
    dataset: { id: message.id, seq: message.seq, revision: message.revision, createdAt: message.created_at, sender: "" },
  }, [
    el("p", { className: "note-text" }, [
      el("span", { text }),
      el("time", { className: "message-time", text: clockTime(message.created_at), // the day: its separator
        attrs: { datetime: message.created_at, title: fullTime(message.created_at) } }),
    ]),
  ]);
}
