// A message of ours not yet stored: "sending…" (or "sent after the message above", while one written before it is
// not on its way), a file uploading (with a progress bar) or waiting for the connection (Discard), or refused
// (Retry only when sending it again may work: not for a file type the server does not accept; Discard).

import { formatSize } from "../attachments.js";
import { el } from "./dom.js";
import { t } from "../i18n.js";

/** The file being sent: its card, and while it uploads a bar that follows the bytes sent. */
function fileCard(entry) {
  const card = el("div", { className: "attachment-card" }, [
    el("span", { className: "attachment-name", text: entry.fileName }),
    el("span", { className: "attachment-size", text: formatSize(entry.file?.size ?? entry.fileSize) }),
  ]);
  if (entry.state !== "uploading") return card;
  const fraction = Math.min(1, Math.max(0, entry.progress || 0));
  const bar = el("progress", { className: "upload-progress",
    attrs: { max: "1", value: String(fraction), "aria-label": t("Uploading {name}", { name: entry.fileName }) } });
  return el("div", { className: "attachment pending-attachment" }, [card, bar]);
}

/** Retry and Discard (their data-pending-action, which the list's one listener reads: thread-view.js), offered
 *  once the server refused the message (Discard also while a file waits for the connection). `behind`: it waits
 *  for a message written before it that is not on its way (sender.js waitingBehind). */
export function pendingElement(entry, behind = false) {
  const failed = entry.state === "failed";
  let note = behind ? t("sent after the message above") : t("sending…");
  if (entry.state === "uploading") note = t("uploading {percent}%", { percent: Math.round((entry.progress || 0) * 100) });
  if (entry.state === "waiting") note = t("sent when the connection is back");
  const status = failed
    ? el("span", { className: "message-error", text: entry.error || t("Not sent.") })
    : el("span", { className: "message-pending-note", text: note });
  const bubble = el("div", { className: "bubble" }, [
    el("div", { className: "message-meta" }, [
      el("span", { className: "message-sender visually-hidden", text: t("You") }), // not one's own name again
      status,
    ]),
    entry.fileName ? fileCard(entry) : null,
    entry.body ? el("div", { className: "message-body", text: entry.body }) : null,
  ]);
  const discard = el("button", { className: "link-button", text: t("Discard"), attrs: { type: "button" },
    dataset: { pendingAction: "discard" } });
  if (failed) {
    bubble.append(el("div", { className: "message-actions visible" }, [
      entry.retryable === false ? null : el("button", { className: "link-button", text: t("Retry"),
        attrs: { type: "button" }, dataset: { pendingAction: "retry" } }),
      discard,
    ]));
  } else if (entry.state === "waiting") { // a file waiting for the connection may be given up before it goes
    bubble.append(el("div", { className: "message-actions visible" }, [discard]));
  }
  return el("li", { className: `message own pending${failed ? " failed" : ""}`,
    dataset: { clientId: entry.client_id } }, [bubble]);
}
