// /settings' picture: choose a file, drag and zoom to pick the square to keep, upload it to
// POST /api/me/avatar with that square (crop_x, crop_y, crop_size in the image's own pixels).
// The server crops, resizes and stores it; the page then shows the new picture.

import { uploadPicture } from "./chat/avatars.js";
import { t } from "./i18n.js";

const FRAME = 240; // px: the square shown while cropping (CSS .avatar-crop-frame)

const form = document.getElementById("avatar-form");
const fileInput = document.getElementById("avatar-file");
const cropper = document.getElementById("avatar-cropper");
const image = document.getElementById("avatar-crop-image");
const zoom = document.getElementById("avatar-zoom");
const error = document.getElementById("avatar-error");
const state = { file: null, base: 1, zoom: 1, x: 0, y: 0, drag: null };

function scale() {
  return state.base * Number(zoom.value);
}

/** Keep the image covering the frame: its top-left corner between (FRAME - size) and 0. */
function place() {
  const width = image.naturalWidth * scale();
  const height = image.naturalHeight * scale();
  state.x = Math.min(0, Math.max(FRAME - width, state.x));
  state.y = Math.min(0, Math.max(FRAME - height, state.y));
  image.style.width = `${width}px`;
  image.style.height = `${height}px`;
  image.style.transform = `translate(${state.x}px, ${state.y}px)`;
}

/** The square to keep, in the image's pixels (as the browser shows it: EXIF rotation applied). */
function cropSquare() {
  const size = Math.min(image.naturalWidth, image.naturalHeight, Math.round(FRAME / scale()));
  const x = Math.max(0, Math.min(image.naturalWidth - size, Math.round(-state.x / scale())));
  const y = Math.max(0, Math.min(image.naturalHeight - size, Math.round(-state.y / scale())));
  return { x, y, size };
}

fileInput.addEventListener("change", () => {
  error.textContent = "";
  state.file = fileInput.files[0] || null;
  cropper.hidden = true; // shown once the picture is placed: a drag before that would be undone by onload
  if (!state.file) return;
  image.onload = () => {
    cropper.hidden = false;
    state.base = FRAME / Math.min(image.naturalWidth, image.naturalHeight);
    zoom.value = "1";
    state.zoom = 1;
    state.x = (FRAME - image.naturalWidth * state.base) / 2;
    state.y = (FRAME - image.naturalHeight * state.base) / 2;
    place();
  };
  image.onerror = () => {
    cropper.hidden = true;
    error.textContent = t("This file cannot be shown as a picture.");
  };
  // A data: URL: the page's CSP lets images come from the app and data:, not blob:.
  const reader = new FileReader();
  reader.onload = () => { image.src = reader.result; };
  reader.readAsDataURL(state.file);
});

zoom.addEventListener("input", () => {
  // Zoom around the frame's centre.
  const ratio = Number(zoom.value) / state.zoom;
  const centre = FRAME / 2;
  state.x = centre - (centre - state.x) * ratio;
  state.y = centre - (centre - state.y) * ratio;
  state.zoom = Number(zoom.value);
  place();
});

image.addEventListener("pointerdown", (event) => {
  state.drag = { startX: event.clientX - state.x, startY: event.clientY - state.y };
  image.setPointerCapture(event.pointerId);
});
image.addEventListener("pointermove", (event) => {
  if (!state.drag) return;
  state.x = event.clientX - state.drag.startX;
  state.y = event.clientY - state.drag.startY;
  place();
});
image.addEventListener("pointerup", () => { state.drag = null; });
image.addEventListener("dragstart", (event) => event.preventDefault());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!state.file) return;
  const button = document.getElementById("avatar-save");
  button.disabled = true;
  error.textContent = "";
  try {
    // The crop fields go before the file: the server reads them first, then streams the file.
    const payload = await uploadPicture("/me/avatar", state.file, cropSquare());
    document.getElementById("profile-picture").src = `${payload.user.avatar_url}&size=large`;
    cropper.hidden = true;
    fileInput.value = "";
    state.file = null;
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
});
