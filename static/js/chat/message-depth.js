// Replies, mentions and reactions on a message (docs/protocol.md "Replies, mentions and reactions"):
// the quote above a reply, mentions highlighted in its text, its reactions below it. Everything
// a user wrote goes in as text (textContent), never as HTML.

import { el } from "./dom.js";
import { formattedBody } from "./message-format.js";
import { t } from "../i18n.js";
import { displayName, knownUsername } from "./avatars.js";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
// As the server reads them (actions/mentions.py MENTION, the same rule: change both together): not after a
// letter (of any script: "你好@bob" is not a mention, Python's \w), digit, ".", "-", "@" or "/".
const MENTION = /(^|[^\p{L}\p{N}_.@/-])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,31})/gu;

const QUOTE_LENGTH = 120; // characters of the original a reply quotes (payloads.QUOTE_LENGTH)

/**
 * The quote a reply carries of `original`, made as the server makes it (payloads.quote_payload): the
 * start of its text or its file's name, its author; nothing but its place once it is removed.
 */
export function quoteOf(original) {
  const removed = Boolean(original.removed);
  let excerpt = removed ? "" : Array.from(original.body || "").slice(0, QUOTE_LENGTH).join("");
  if (!removed && !excerpt && original.attachment && original.attachment.status !== "deleted") {
    excerpt = original.attachment.filename || "";
  }
  return { id: original.id, seq: original.seq, kind: original.kind, removed,
    sender: removed ? null : original.sender, excerpt };
}

/** The quote of the message a reply answers; a click jumps to the original. */
export function quoteElement(quote, onJump) {
  const author = displayName(quote.sender);
  return el("button", { className: `reply-quote${quote.removed ? " removed" : ""}`,
    attrs: { type: "button", title: t("Show the original message") },
    dataset: { replyTo: quote.id }, on: { click: () => onJump(quote.id) } }, [
    author ? el("span", { className: "reply-author", text: author }) : null,
    el("span", { className: "reply-excerpt", text: quote.removed ? t("message deleted") : quote.excerpt }),
  ]);
}

/** The text, formatted (message-format.js), with each `@name` the server recorded as a mention in a span
 * (`mention-me` when it names the reader, or is a group's @all). Code (`inline`, fenced blocks) is never
 * passed here as text: it mentions nobody, on the server too (actions/code_spans.py). */
export function bodyWithMentions(message, me) {
  const { mentioned, unknown } = mentionedUsernames(message, me);
  const body = formattedBody(message.body, (parent, text) => appendMentions(parent, text, message, mentioned));
  // A mentioned person whose username the page does not know yet (the members load after the messages
  // show): ThreadView.redrawMentions draws the body again once they are known.
  if (unknown) body.dataset.mentionsUnknown = "true";
  return body;
}

/** The usernames (lowercased) of the people the server recorded the message as mentioning, each mapped to
 * whether it is the reader's; `unknown` when the page does not know all their usernames yet. */
function mentionedUsernames(message, me) {
  const mentioned = new Map();
  for (const userId of message.mentions || []) {
    const username = userId === me.id ? me.username : knownUsername(userId);
    if (username) mentioned.set(username.toLowerCase(), userId === me.id);
  }
  return { mentioned, unknown: unknownMentioned(message, me).length > 0 };
}

/** The ids of the people a message mentions whose usernames the page does not know. */
export function unknownMentioned(message, me) {
  return (message.mentions || []).filter((userId) => userId !== me.id && !knownUsername(userId));
}

function appendMentions(parent, text, message, mentioned) {
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const written = recordedName(match[2], message, mentioned);
    if (written === null) continue; // not a member's name, or @all in a direct chat: plain text
    const start = match.index + match[1].length;
    parent.append(document.createTextNode(text.slice(last, start)));
    const name = written.toLowerCase();
    const mine = (name === "all" && message.mentions_all) || mentioned.get(name) === true;
    parent.append(el("span", { className: `mention${mine ? " mention-me" : ""}`, text: "@" + written }));
    last = start + 1 + written.length;
  }
  parent.append(document.createTextNode(text.slice(last)));
}

/** The part of an `@name` as written ("@Bob." -> "Bob") that names someone the server recorded the message
 * as mentioning, or a group's @all; else null. The server reads the name, then it with each trailing "." or
 * "-" read off in turn ("@eve-." is eve-. , eve- or eve), and takes the longest that is a member's: with
 * members "dana." and "dana", "@dana." is dana.'s, not dana's; "@all" in a direct chat is nobody's (its
 * `mentions_all` is false), even someone's named "all". */
function recordedName(written, message, mentioned) {
  for (let name = written; ; name = name.slice(0, -1)) {
    const lowered = name.toLowerCase();
    if (mentioned.has(lowered) || (lowered === "all" && message.mentions_all)) return name;
    if (!/[.-]$/.test(name)) return null;
  }
}

/** Whether a message mentions the reader (the page notifies it even in a muted conversation). */
export function mentionsMe(message, me) {
  return Boolean(message.sender && message.sender.id !== me.id && (message.mentions || []).includes(me.id));
}

/** The reactions under a message: one button per emoji (count; names on hover), pressed when one is
 * the reader's; a click toggles it. Its name starts with what it shows (WCAG's label in name): a voice
 * command says what it sees. `nameOf(userId)` gives a member's name. */
export function reactionsElement(message, me, { onToggle, nameOf }) {
  const reactions = message.reactions || [];
  if (!reactions.length) return null;
  return el("div", { className: "reactions" }, reactions.map((reaction) => {
    const mine = reaction.user_ids.includes(me.id);
    const names = reaction.user_ids.map((id) => (id === me.id ? t("You") : nameOf(id))).join(", ");
    return el("button", { className: `reaction${mine ? " mine" : ""}`, text: `${reaction.emoji} ${reaction.count}`,
      attrs: { type: "button", title: names, "aria-pressed": mine ? "true" : "false",
        "aria-label": t("{emoji} {count}, by {names}", { emoji: reaction.emoji, count: reaction.count, names }) },
      dataset: { emoji: reaction.emoji },
      on: { click: () => onToggle(message, reaction.emoji, mine) } });
  }));
}

/** The row of quick reactions that a message's "React" button opens. */
export function reactionPicker(message, me, onToggle) {
  return el("div", { className: "reaction-picker", attrs: { role: "menu" } }, QUICK_REACTIONS.map((emoji) => {
    const mine = (message.reactions || []).some((r) => r.emoji === emoji && r.user_ids.includes(me.id));
    return el("button", { className: "link-button", text: emoji,
      attrs: { type: "button", role: "menuitem", "aria-label": t("React with {emoji}", { emoji }) },
      on: { click: () => onToggle(message, emoji, mine) } });
  }));
}
