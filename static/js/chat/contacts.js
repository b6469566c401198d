// The sidebar's contacts: requests to answer, contacts with their presence (one click opens the
// direct chat), the "add contact" dialog, and the people the user blocked (their messages become
// placeholders in groups and disappear from direct chats). REST for lists, socket events live:
// docs/protocol.md "Contacts, blocking and privacy".

import { api } from "./api.js";
import { displayName, personAvatar } from "./avatars.js";
import { $, drawList, el, toast } from "./dom.js";
import { presenceLabel, presenceState } from "./presence.js";
import { t } from "../i18n.js";

/** What to send for what was typed: an address with @ is an email, digits (and +) a phone. */
function addressOf(text) {
  const value = text.trim();
  if (value.startsWith("@")) return { username: value.slice(1) }; // "@alice", as names are shown
  if (value.includes("@")) return { email: value };
  if (/^\+?[\d\s().-]{5,}$/.test(value)) return { phone: value };
  return { username: value };
}

export class Contacts {
  /** onChat(conversation): a direct chat to open; onBlocksChanged(): redraw what blocks hide;
   * presenceOf(userId) and notePresence(entries): the page's presence (presence.js's PresenceBook),
   * which the presence frames keep live and which calls render() when a contact's changes. */
  constructor({ me, onChat, onBlocksChanged, presenceOf, notePresence }) {
    this.me = me;
    this.onChat = onChat;
    this.onBlocksChanged = onBlocksChanged;
    this.presenceOf = presenceOf;
    this.notePresence = notePresence;
    this.contacts = new Map(); // user id -> contact (a User with since)
    this.incoming = new Map(); // request id -> request
    this.outgoing = new Map();
    this.blocked = new Map(); // user id -> User
    this.list = $("#contact-list");
    this.requests = $("#contact-requests");
    this.dialog = $("#add-contact-dialog");
    this.form = $("#add-contact-form");
    $("#add-contact-button").addEventListener("click", () => this.openDialog());
    $("#contacts-toggle").addEventListener("click", () => this.toggle());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
  }

  isBlocked(userId) {
    return this.blocked.has(userId);
  }

  async load() {
    const [{ contacts }, { incoming, outgoing }, { blocks }] = await Promise.all([
      api("GET", "/contacts"), api("GET", "/contacts/requests"), api("GET", "/blocks")]);
    this.contacts = new Map(contacts.map((contact) => [contact.id, contact]));
    this.notePresence(contacts.map((contact) => ({ user_id: contact.id, ...contact.presence })));
    this.incoming = new Map(incoming.map((request) => [request.id, request]));
    this.outgoing = new Map(outgoing.map((request) => [request.id, request]));
    const before = [...this.blocked.keys()].join();
    this.blocked = new Map(blocks.map((block) => [block.user.id, block.user]));
    this.render();
    if (before !== [...this.blocked.keys()].join()) this.onBlocksChanged();
  }

  bind(on) {
    on("contact:request", ({ request }) => {
      (request.requester.id === this.me.id ? this.outgoing : this.incoming).set(request.id, request);
      this.render();
      if (request.recipient.id === this.me.id) {
        toast(t("{name} wants to add you as a contact.", { name: request.requester.display_name }), "info");
      }
    });
    on("contact:request_closed", ({ request_id: id }) => {
      this.incoming.delete(id);
      this.outgoing.delete(id);
      this.render();
    });
    on("contact:added", async ({ contact }) => {
      this.contacts.set(contact.id, contact);
      this.render();
      try {
        const { presence } = await api("GET", `/users/${contact.id}/presence`);
        this.notePresence([{ user_id: contact.id, ...presence }]);
      } catch {
        // shown without presence until the next change
      }
    });
    on("contact:removed", ({ user_id: id }) => {
      this.contacts.delete(id);
      this.render();
    });
    on("block:added", ({ block }) => {
      this.blocked.set(block.user.id, block.user);
      this.onBlocksChanged();
    });
    on("block:removed", ({ user_id: id }) => {
      this.blocked.delete(id);
      this.onBlocksChanged();
    });
  }

  toggle() {
    const toggle = $("#contacts-toggle");
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    $("#contacts-body").hidden = !open;
  }

  render() {
    const contacts = [...this.contacts.values()].sort((first, second) =>
      displayName(first).localeCompare(displayName(second)));
    // In place: a presence change redraws the list under a click on "Message" (dom.js drawList).
    drawList(this.list, contacts.map((contact) => this.contactItem(contact)), (item) => item.dataset.userId);
    const requests = [...this.incoming.values()].map((request) => this.incomingItem(request))
      .concat([...this.outgoing.values()].map((request) => this.outgoingItem(request)));
    drawList(this.requests, requests, (item) => `${item.dataset.direction} ${item.dataset.requestId}`);
    $("#contacts-count").textContent = contacts.length ? String(contacts.length) : "";
    const badge = $("#requests-badge");
    badge.textContent = String(this.incoming.size);
    badge.hidden = this.incoming.size === 0;
    $("#contacts-empty").hidden = contacts.length > 0 || requests.length > 0;
  }

  contactItem(contact) {
    const entry = this.presenceOf(contact.id);
    const presence = presenceLabel(entry);
    const state = presenceState(entry);
    const open = el("button", { className: "contact-open", attrs: { type: "button",
      title: t("Message {name}", { name: displayName(contact) }) },
    on: { click: () => this.chat(contact) } }, [
      personAvatar(contact),
      el("span", { className: "presence-dot", dataset: { state }, attrs: { "aria-hidden": "true" } }),
      el("span", { className: "contact-text" }, [
        el("span", { className: "contact-name", text: displayName(contact) }),
        el("span", { className: "contact-presence", text: presence }),
      ]),
    ]);
    const remove = el("button", { className: "link-button contact-remove", text: t("Remove"),
      attrs: { type: "button", "aria-label": t("Remove {name} from your contacts", { name: contact.display_name }) },
      on: { click: () => this.remove(contact) } });
    return el("li", { className: "contact-item", dataset: { userId: contact.id, presence: state } }, [open, remove]);
  }

  incomingItem(request) {
    const who = request.requester;
    return el("li", { className: "contact-request", dataset: { requestId: request.id, direction: "incoming" } }, [
      el("span", { className: "contact-name", text: t("{name} wants to be your contact", {
        name: displayName(who) }) }),
      el("span", { className: "contact-request-buttons" }, [
        el("button", { className: "button primary small", text: t("Accept"), attrs: { type: "button" },
          on: { click: () => this.answer(request, "accept") } }),
        el("button", { className: "button subtle small", text: t("Decline"), attrs: { type: "button" },
          on: { click: () => this.answer(request, "decline") } }),
      ]),
    ]);
  }

  outgoingItem(request) {
    const who = request.recipient;
    return el("li", { className: "contact-request", dataset: { requestId: request.id, direction: "outgoing" } }, [
      el("span", { className: "contact-name", text: t("Waiting for {name}", { name: displayName(who) }) }),
      el("button", { className: "button subtle small", text: t("Withdraw"), attrs: { type: "button" },
        on: { click: () => this.answer(request, "decline") } }),
    ]);
  }

  async chat(contact) {
    try {
      const { conversation } = await api("POST", "/direct", { user_id: contact.id });
      this.onChat(conversation);
    } catch (error) {
      toast(error);
    }
  }

  async answer(request, verb) {
    try {
      await api("POST", `/contacts/requests/${request.id}/${verb}`);
      this.incoming.delete(request.id);
      this.outgoing.delete(request.id);
      this.render();
      if (verb === "accept") await this.load(); // the new contact with their presence
    } catch (error) {
      toast(error);
    }
  }

  async remove(contact) {
    try {
      await api("DELETE", `/contacts/${contact.id}`);
      this.contacts.delete(contact.id);
      this.render();
    } catch (error) {
      toast(error);
    }
  }

  openDialog() {
    this.form.reset();
    $(".dialog-error", this.dialog).textContent = "";
    this.dialog.showModal();
    $("#add-contact-input").focus();
  }

  async ask() {
    const text = $("#add-contact-input").value;
    if (!text.trim()) return;
    const submit = $("#add-contact-submit");
    submit.disabled = true;
    try {
      const { state, request } = await api("POST", "/contacts/requests", addressOf(text));
      this.dialog.close();
      const name = request.recipient.id === this.me.id ? request.requester.display_name : request.recipient.display_name;
      if (state === "accepted") {
        toast(t("{name} is now your contact.", { name }), "info");
        await this.load();
      } else {
        this.outgoing.set(request.id, request);
        this.render();
        toast(t("Request sent to {name}.", { name }), "info");
      }
    } catch (error) {
      $(".dialog-error", this.dialog).textContent = error.message;
    } finally {
      submit.disabled = false;
    }
  }

  /** Block someone (from the report dialog or the banner); the page follows with block:added. */
  async block(user) {
    await api("POST", "/blocks", { user_id: user.id });
    this.blocked.set(user.id, user);
    this.contacts.delete(user.id);
    this.render();
    this.onBlocksChanged();
  }

  async unblock(userId) {
    try {
      await api("DELETE", `/blocks/${userId}`);
      this.blocked.delete(userId);
      this.onBlocksChanged();
    } catch (error) {
      toast(error);
    }
  }
}

/** Whether `message` shows as a blocked person's (`isBlocked(userId)`): a member's message, not a membership
 * note. The one rule of the thread, the conversation list's preview and the search results. */
export function fromBlocked(message, isBlocked) {
  return !(message.system && !message.removed) && Boolean(message.sender) && isBlocked(message.sender.id);
}

/** What shows instead of a blocked person's message. */
export function blockedText() {
  return t("Message from a blocked user");
}

/** In a group, a blocked person's message as a placeholder that shows it when clicked. */
export function blockedPlaceholder(message, onExpand) {
  return el("li", { className: "message blocked-placeholder", dataset: { id: message.id, seq: message.seq,
    revision: message.revision } }, [
    el("div", { className: "bubble" }, [
      el("span", { className: "removed-note", text: blockedText() }),
      el("button", { className: "link-button", text: t("Show"), attrs: { type: "button" }, on: { click: onExpand } }),
    ]),
  ]);
}
