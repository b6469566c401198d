// Files for the chat page: upload with progress (through the server, or straight to storage for
// large files), files from drag-and-drop and paste, and DOM for a message's attachment.
// API: docs/files.md. Every file name goes through textContent; nothing is built from HTML strings.
//
//   import { uploadFile, filesFrom, renderAttachment } from "/static/js/attachments.js";
//   const attachment = await uploadFile(conversationId, file, { onProgress: (fraction) => ... });
//   socket.emit("message:send", { conversation_id, body, client_id, attachment_id: attachment.id }, ack);
//   messageNode.append(renderAttachment(message));   // null when the message has no file

import { api, csrfToken } from "./chat/api.js";
import { errorText, t } from "./i18n.js";

// Above this, upload straight to storage: the server then never carries the bytes.
export const DIRECT_UPLOAD_BYTES = 8 * 1024 * 1024;

export class UploadError extends Error {
  constructor(message, code, status, retryAfter = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter; // of a `rate_limited` refusal (UPLOADS_PER_HOUR)
  }
}

/** POST a form with XMLHttpRequest (fetch cannot report upload progress); resolves {status, body}. */
function postForm(url, form, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    if (onProgress) {
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
    }
    request.addEventListener("load", () => {
      let body = null;
      try {
        body = request.responseText ? JSON.parse(request.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: request.status, body });
    });
    request.addEventListener("error", () =>
      reject(new UploadError(t("The upload failed: the connection was lost."), "network_error", 0)));
    request.addEventListener("abort", () => reject(new UploadError(t("The upload was cancelled."), "cancelled", 0)));
    signal?.addEventListener("abort", () => request.abort());
    request.send(form);
  });
}

/** A refused upload as an UploadError; a rate limit's wait is left out of its text (the file's bubble keeps
 *  it after the wait is over): toast() counts down its `retryAfter`. */
function failure({ status, body }, fallback) {
  const error = body?.error;
  const text = errorText(error?.code, error?.message);
  return new UploadError(text || fallback || t("The upload failed ({status}).", { status }), error?.code, status,
    error?.retry_after);
}

/** Upload through the server: one multipart request, answered with the ready attachment. */
export async function uploadThroughServer(conversationId, file, { onProgress, signal } = {}) {
  const form = new FormData();
  form.append("file", file, file.name || "file");
  const answer = await postForm(`/api/conversations/${conversationId}/files`, form,
    { headers: { "X-CSRFToken": csrfToken, Accept: "application/json" }, onProgress, signal });
  if (answer.status !== 201 || !answer.body?.ok) throw failure(answer);
  return answer.body.attachment;
}

/** Upload straight to storage (S3, or the local backend's stand-in), then have the server verify it. */
export async function uploadDirect(conversationId, file, { onProgress, signal } = {}) {
  const started = await api("POST", `/conversations/${conversationId}/files/direct`, {
    filename: file.name || "file",
    content_type: file.type || "application/octet-stream",
    size: file.size,
  });
  const form = new FormData();
  for (const [name, value] of Object.entries(started.upload.fields)) form.append(name, value);
  form.append("file", file);  // last: storage ignores fields after the file
  const posted = await postForm(started.upload.url, form, { onProgress, signal });
  if (posted.status < 200 || posted.status >= 300) throw failure(posted, t("Storage refused the upload."));
  return (await api("POST", `/files/${started.attachment.id}/complete`)).attachment;
}

/** Upload a File; large ones go straight to storage. Resolves with the attachment to send. */
export function uploadFile(conversationId, file, options = {}) {
  const direct = options.direct ?? file.size > DIRECT_UPLOAD_BYTES;
  return direct ? uploadDirect(conversationId, file, options) : uploadThroughServer(conversationId, file, options);
}

/** The files of a drop or paste event (DataTransfer), ignoring dragged text and links. */
export function filesFrom(dataTransfer) {
  if (!dataTransfer) return [];
  const files = [];
  for (const item of dataTransfer.items || []) {
    if (item.kind === "file") {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  return files.length ? files : Array.from(dataTransfer.files || []);
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(value < 10 ? 1 : 0) : value} ${units[unit]}`;
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A message drawn again (a reaction, a caption edited: `fresh` replaces `shown`) keeps its voice or video player,
 *  and with it what plays and where, as WhatsApp Web's does: the shown player takes the fresh one's place, unless
 *  the file is gone. Call just before `shown` leaves the page, in the same task: a player out of the page for
 *  longer is paused (HTML's media removal steps). */
export function keepPlayer(shown, fresh) {
  const player = shown.querySelector(".attachment-player");
  if (!player) return;
  const id = player.closest(".attachment").dataset.attachmentId;
  fresh.querySelector(`.attachment[data-attachment-id="${id}"] .attachment-player`)?.replaceWith(player);
}

/** The DOM for a message's attachment by kind: thumbnail, player, or file card; null without one. */
export function renderAttachment(message) {
  const attachment = message?.attachment;
  if (!attachment) return null;
  const box = node("div", `attachment attachment-${message.kind}`);
  box.dataset.attachmentId = String(attachment.id);
  if (attachment.status === "deleted") {
    box.classList.add("attachment-removed");
    box.append(node("span", "attachment-removed-text", t("File removed")));
    return box;
  }
  if (message.kind === "image") {
    const link = node("a", "attachment-image-link");
    link.href = attachment.url;
    link.dataset.downloadUrl = attachment.download_url;
    link.target = "_blank";
    link.rel = "noopener";
    const image = node("img", "attachment-image");
    image.src = attachment.thumbnail_url || attachment.url;
    image.alt = attachment.filename;
    image.loading = "lazy";
    link.append(image);
    box.append(link);
  } else if (message.kind === "voice" || message.kind === "video") {
    const player = node(message.kind === "voice" ? "audio" : "video", "attachment-player");
    player.controls = true;
    player.preload = "metadata";
    player.src = attachment.url;
    box.append(player);
  }
  const card = node("div", "attachment-card");
  card.append(node("span", "attachment-name", attachment.filename), node("span", "attachment-size",
    formatSize(attachment.size)));
  const download = node("a", "attachment-download", t("Download"));
  download.href = attachment.download_url;
  download.setAttribute("download", "");
  card.append(download);
  box.append(card);
  return box;
}
