// Light formatting of a message's text: **bold**, _italic_, `code`, ``` code blocks ```, and links
// (http, https and mailto only). markdown-it (static/vendor, from npm) parses the text into tokens;
// the page builds DOM nodes from a whitelist of token types, every piece of text through a text node.
// markdown-it never renders HTML here and nothing else is enabled: headings, lists, quotes, images,
// [named](links) and raw HTML stay the text that was written.

import markdownit from "../../vendor/markdown-it.js";
import { el } from "./dom.js";
import { noteText } from "./system-notes.js";
import { t } from "../i18n.js";

// The server reads what this parser makes code and links (no mention there) with the same rules, written
// again in Python: actions/code_spans.py and actions/links.py (with LINK_SCHEMES, safeHref's refusals and
// FILE_NAME_LIKE below). Change them together; tests/mention_cases.json and tests/browser/test_mentions_in_code.py
// compare the two readings.
const parser = markdownit("zero", { html: false, linkify: true })
  .enable(["emphasis", "backticks", "fence", "linkify", "autolink"]);
parser.linkify.set({ fuzzyLink: true, fuzzyEmail: true }); // "example.com" and "www.example.com" too

const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
const INLINE_TAGS = { strong_open: "strong", em_open: "em" };
const BLOCK_TOKENS = new Set(["fence", "code_block"]);
const ATTACHMENT_LABELS = { image: t("Photo"), voice: t("Voice message"), video: t("Video"), file: t("File") };

/** The address of a link if its scheme is allowed, else null (the link stays text). */
function safeHref(href) {
  try {
    const url = new URL(href);
    return LINK_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

// "setup.py", "readme.md": a file name, not a site, though .py and .md are countries' domains. A bare
// name with a two-letter ending and no path is linked only when written with www. or a scheme.
const FILE_NAME_LIKE = /^[^/?#@:]+\.[a-z]{2}$/i;

function looksLikeFileName(linkToken, textToken) {
  const text = textToken?.content || "";
  return linkToken.markup === "linkify" && FILE_NAME_LIKE.test(text) && !/^www\./i.test(text);
}

/** Where a link the parser read goes on the page, or null where the page leaves it as text (a scheme it
 * refuses, a file's name): `textToken` is the token after `linkToken`, its text. */
function drawnHref(linkToken, textToken) {
  return looksLikeFileName(linkToken, textToken) ? null : safeHref(linkToken.attrGet("href") || "");
}

function linkElement(href) {
  return el("a", { className: "message-link", attrs: { href, target: "_blank", rel: "noopener noreferrer" } });
}

/** Appends the inline tokens of one paragraph to `parent`; `onText(parent, text)` writes plain text. */
function appendInline(parent, tokens, onText) {
  const open = [parent]; // the element each next token goes in; null entries are links refused
  const current = () => open.findLast((node) => node !== null);
  for (const [index, token] of tokens.entries()) {
    if (token.type in INLINE_TAGS) {
      const node = el(INLINE_TAGS[token.type]);
      current().append(node);
      open.push(node);
    } else if (token.type === "link_open") {
      const href = drawnHref(token, tokens[index + 1]);
      const node = href ? linkElement(href) : null;
      if (node) current().append(node);
      open.push(node);
    } else if (token.type.endsWith("_close") && open.length > 1) {
      open.pop();
    } else if (token.type === "code_inline") {
      current().append(el("code", { className: "message-code", text: token.content }));
    } else if (token.type === "softbreak" || token.type === "hardbreak") {
      current().append("\n");
    } else if (token.content) {
      // Text inside a link is only text: no mention there.
      const target = current();
      if (target.tagName === "A") target.append(token.content);
      else onText(target, token.content);
    }
  }
}

/**
 * Fills `container` with the formatted `text`. Blank lines between paragraphs and blocks are kept
 * as written (the body is shown with white-space: pre-wrap). `onText(parent, text)` writes each run
 * of plain text (message-depth.js highlights mentions there); by default as a text node.
 */
function formatInto(container, text, onText = (parent, run) => parent.append(run)) {
  let previous = null; // the last block token drawn, for the blank lines since it
  for (const token of parser.parse(text || "", {})) {
    const block = BLOCK_TOKENS.has(token.type);
    if (token.type !== "inline" && !block) continue; // paragraph_open/close: their inline child is drawn
    if (previous) {
      const gap = Math.max(0, (token.map?.[0] ?? 0) - (previous.map?.[1] ?? 0));
      // After a code block its own end breaks the line; before one the last break adds no line.
      const breaks = gap + (BLOCK_TOKENS.has(previous.type) ? 0 : 1);
      if (breaks) container.append("\n".repeat(breaks));
    }
    if (block) {
      const code = token.content.replace(/\n$/, "");
      container.append(el("pre", { className: "message-code-block" }, [el("code", { text: code })]));
    } else {
      appendInline(container, token.children || [], onText);
    }
    previous = token;
  }
  return container;
}

/** A message body element with the text formatted. */
export function formattedBody(text, onText) {
  return formatInto(el("div", { className: "message-body" }), text, onText);
}

/** What a removed message reads as wherever it is shown (the thread, the sidebar, a group's preview). */
export function removedText(message) {
  return message.removed_by === "moderator" ? t("removed by a moderator") : t("message deleted");
}

/** A message's text as written, else its file's name: what a quote of it shows (the reply bar, a
report, a group's preview). */
export function excerpt(message) {
  return message.body || message.attachment?.filename || "";
}

/** Whether the end of `text` (what is written before the caret) is code, or would be once the code it
 * is in is closed: in a fence, open or not (its info string too), or in a backtick run that closing it
 * with a run of the same length makes a code span ("say `@bo" and "``a ` @bo" are). The composer offers
 * no @-suggestions there (mention-complete.js), as Slack: code mentions nobody (actions/code_spans.py). */
export function endsInCode(text) {
  const lengths = new Set((text.match(/`+/g) || []).map((run) => run.length));
  return [text, ...[...lengths].map((length) => text + "`".repeat(length))].some((written) => {
    const tokens = parser.parse(written, {});
    const last = tokens.findLast((token) => token.type === "inline" || BLOCK_TOKENS.has(token.type));
    if (!last) return false;
    if (BLOCK_TOKENS.has(last.type)) return true; // text after a closed fence would be a paragraph
    return last.children?.at(-1)?.type === "code_inline" && written !== text;
  });
}

/** Whether the end of `text` (what is written before the caret) is inside a link the page draws there
 * ("see https://x.com/?u=@bo", "example.com/#@bo"; not an ftp:// one, shown as text): the composer offers
 * no @-suggestions there either, as a name in a link mentions nobody (actions/links.py). */
export function endsInLink(text) {
  const tokens = parser.parse(text, {}).findLast((token) => token.type === "inline")?.children || [];
  if (tokens.at(-1)?.type !== "link_close") return false;
  const opening = tokens.findLastIndex((token) => token.type === "link_open");
  return drawnHref(tokens[opening], tokens[opening + 1]) !== null;
}

/** The text as it reads once formatted, without its markers ("**hi** `x`" -> "hi x"): for previews. */
export function plainText(text) {
  const parts = [];
  for (const token of parser.parse(text || "", {})) {
    if (BLOCK_TOKENS.has(token.type)) parts.push(token.content.replace(/\n$/, ""));
    else if (token.type === "inline") {
      parts.push((token.children || []).map((child) => (child.type.endsWith("_open") || child.type.endsWith("_close")
        ? "" : child.content)).join(""));
    }
  }
  return parts.join("\n");
}

/** A message as one line of plain text, where only a line fits (the sidebar's preview, a group's
 *  preview): removed, a membership note's sentence, or the text as it reads after its file's label. */
export function messageLine(message) {
  if (message.removed) return removedText(message);
  if (message.system) return noteText(message.system) ?? message.body;
  let text = plainText(message.body);
  if (message.attachment) {
    const name = message.attachment.filename; // none once an operator deleted the file
    const file = name ? `${ATTACHMENT_LABELS[message.kind] || t("File")}: ${name}` : t("File removed");
    text = `${file}${text ? " · " + text : ""}`;
  }
  return text.replace(/\s+/g, " ").trim();
}
