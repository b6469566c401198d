// Pictures of people and groups, and the newest name and picture of everyone the page has seen.
//
// Messages keep the sender as they were when the page loaded them; `user:updated` (docs/protocol.md)
// brings a newer profile, kept here, and every picture and name drawn from it is redrawn in place
// (marked with data-avatar-user / data-name-user).

import { api } from "./api.js";
import { el } from "./dom.js";

const people = new Map(); // user id -> the newest user payload seen

/** The newest known version of a person (a user payload from any message, member or event). */
export function personOf(user) {
  if (!user) return user;
  const known = people.get(user.id);
  if (!known) {
    people.set(user.id, user);
    return user;
  }
  return known;
}

/** How the page names a person: their display name, else their username ("" for nobody). */
export function displayName(person) {
  return person ? person.display_name || person.username : "";
}

/** The newest name the page knows for a user id, or null (a membership note's names: system-notes.js). */
export function knownName(userId) {
  const known = people.get(userId);
  return known ? displayName(known) || null : null;
}

/** The username of a user id the page has seen, or null (which `@name` of a message names them). */
export function knownUsername(userId) {
  return people.get(userId)?.username || null;
}

/** A profile the server says is newer (user:updated, the profile card): redraw it everywhere. */
export function rememberPerson(user) {
  const known = people.get(user.id) || {};
  const merged = { ...known, ...user };
  people.set(user.id, merged);
  for (const image of document.querySelectorAll(`[data-avatar-user="${user.id}"]`)) {
    image.src = sizedUrl(merged.avatar_url, image.dataset.avatarSize || "small");
  }
  for (const name of document.querySelectorAll(`[data-name-user="${user.id}"]`)) {
    name.textContent = displayName(merged);
  }
  return merged;
}

export function sizedUrl(url, size) {
  if (!url) return "";
  return size === "medium" ? url : `${url}${url.includes("?") ? "&" : "?"}size=${size}`;
}

/** An <img> of a person's picture (the app's access-checked URL: the initials one until uploaded). */
export function personAvatar(user, { size = "small", className = "avatar", onClick = null } = {}) {
  const person = personOf(user);
  const image = el("img", {
    className: `${className} avatar-image`,
    // A picture that opens the card is a button named for its person (an alt="" one would be a decorative
    // image, which a button cannot be: axe's presentation-role-conflict); the others are hidden from readers.
    attrs: { src: sizedUrl(person.avatar_url, size), alt: onClick ? displayName(person) : "", loading: "lazy",
      decoding: "async", "aria-hidden": onClick ? null : "true" },
    dataset: { avatarUser: person.id, avatarSize: size },
  });
  if (onClick) {
    image.classList.add("clickable");
    image.tabIndex = 0;
    image.setAttribute("role", "button");
    image.setAttribute("aria-label", displayName(person));
    image.addEventListener("click", onClick);
    image.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onClick(event);
      }
    });
  }
  return image;
}

/** A group's picture (its initials one until an owner uploads one). */
export function groupAvatar(conversation, { size = "small", className = "avatar" } = {}) {
  return el("img", { className: `${className} avatar-image`,
    attrs: { src: sizedUrl(conversation.avatar_url, size), alt: "", loading: "lazy", "aria-hidden": "true" } });
}

/** Upload a picture (multipart, as POST /api/me/avatar and /api/groups/<id>/avatar take it; the
 *  server keeps the centred square without crop fields). Resolves with the answer, or throws its ApiError. */
export function uploadPicture(path, file, square = null) {
  const body = new FormData();
  if (square) for (const [name, value] of Object.entries(square)) body.append(`crop_${name}`, String(value));
  body.append("file", file);
  return api("POST", path, body);
}
