// The open conversation's header: title, who is in it, and the leave button for groups.

import { api } from "./api.js";
import { $, actsAsButton, toast } from "./dom.js";
import { displayName, personOf, rememberPerson, sizedUrl, uploadPicture } from "./avatars.js";
import { N_, nt, t } from "../i18n.js";
import { conversationTitle } from "./sidebar.js";

const NAMES_SHOWN = 4;
N_("Notices from the Switchboard operators"); // the server's text above, for the catalogue

export class ConversationHeader {
  constructor({ me, onLeave, onBack, onProfile, onRender }) {
    this.me = me;
    this.onRender = onRender; // (conversation, members): presence-view.js draws presence under the title
    this.title = $("#conversation-title");
    this.subtitle = $("#conversation-subtitle");
    this.leaveButton = $("#leave-button");
    this.conversation = null;
    this.members = null; // user id -> member, for the open conversation once loaded
    this.leaveButton.addEventListener("click", () => this.conversation && onLeave(this.conversation.id));
    $("#back-button").addEventListener("click", () => onBack());
    this.avatar = $("#conversation-avatar");
    this.pictureButton = $("#group-picture-button");
    const pictureInput = $("#group-picture-input");
    this.pictureButton.addEventListener("click", () => pictureInput.click());
    pictureInput.addEventListener("change", async () => {
      const file = pictureInput.files[0];
      pictureInput.value = "";
      if (!file || !this.conversation) return;
      try {
        // Members (this page included) get conversation:updated with the new picture.
        await uploadPicture(`/groups/${this.conversation.id}/avatar`, file);
      } catch (error) {
        toast(error);
      }
    });
    const showPeer = () => {
      const peer = this.conversation?.peer;
      if (peer) onProfile(personOf(peer));
    };
    actsAsButton(this.avatar, showPeer);
  }

  show(conversation) {
    if (!conversation) return;
    if (this.conversation?.id !== conversation.id) this.members = null;
    this.conversation = conversation;
    this.title.textContent = conversationTitle(conversation);
    this.leaveButton.hidden = conversation.kind !== "group";
    this.showAvatar(conversation);
    this.render();
  }

  /** The group's picture, or the other person's in a direct chat (a click opens their card). */
  showAvatar(conversation) {
    const peer = personOf(conversation.peer);
    if (peer) this.title.textContent = displayName(peer);
    const url = conversation.kind === "group" ? conversation.avatar_url : peer?.avatar_url;
    this.avatar.hidden = !url;
    if (!url) return;
    this.avatar.src = sizedUrl(url, "small");
    if (peer) Object.assign(this.avatar.dataset, { avatarUser: peer.id, avatarSize: "small" });
    else delete this.avatar.dataset.avatarUser;
    this.avatar.classList.toggle("clickable", Boolean(peer));
    // A direct chat's picture is a button that opens the other person's card; a group's is decoration,
    // out of the Tab order and of what a screen reader reads (alt="" with no role nor tabindex).
    if (peer) {
      this.avatar.tabIndex = 0;
      this.avatar.setAttribute("role", "button");
      this.avatar.alt = t("Profile of {name}", { name: displayName(peer) });
    } else {
      this.avatar.removeAttribute("tabindex");
      this.avatar.removeAttribute("role");
      this.avatar.alt = "";
    }
  }

  async loadMembers(conversationId) {
    try {
      const { members } = await api("GET", `/conversations/${conversationId}/members`);
      if (this.conversation?.id !== conversationId) return;
      this.members = new Map(members.map((member) => [member.id, member]));
      for (const member of members) rememberPerson(member); // fresh names and pictures
      this.render();
    } catch {
      // The header works without the member list; the messages matter more.
    }
  }

  memberChanged(conversationId, member) {
    if (this.conversation?.id !== conversationId || !this.members) return;
    this.members.set(member.id, member);
    // Promoted or demoted: the conversation (the store's) says so too, for what the role allows.
    if (member.id === this.me.id && this.conversation.membership) this.conversation.membership.role = member.role;
    this.render();
  }

  memberLeft(conversationId, userId) {
    if (this.conversation?.id !== conversationId || !this.members) return;
    this.members.delete(userId);
    this.render();
  }

  render() {
    const conversation = this.conversation;
    const parts = [];
    // The group's owners and admins change its picture (the server checks it too).
    this.pictureButton.hidden = conversation.kind !== "group"
      || !["owner", "admin"].includes(conversation.membership?.role);
    if (conversation.kind === "group") {
      parts.push(conversation.visibility === "public" ? t("Public group") : t("Private group"));
      if (this.members) {
        const names = [...this.members.values()]
          .map((member) => (member.id === this.me.id ? t("you") : displayName(member)));
        const shown = names.slice(0, NAMES_SHOWN).join(t(", "));
        const hidden = names.length - NAMES_SHOWN;
        // Who, not how many: the presence line under it counts them (presence-view.js).
        parts.push(hidden > 0 ? nt("{names} and {count} more", "{names} and {count} more", hidden, { names: shown }) : shown);
      }
      if (conversation.description) parts.push(conversation.description);
    } else {
      const other = this.members ? [...this.members.values()].find((member) => member.id !== this.me.id) : null;
      if (other) parts.push(t("Direct chat with @{username}", { username: other.username }));
      // The notices conversation's description is the server's own text (actions/broadcasts.py): translated.
      else parts.push(conversation.description ? t(conversation.description) : t("Direct chat"));
    }
    this.subtitle.textContent = parts.join(" · ");
    this.subtitle.title = this.subtitle.textContent;
    this.onRender?.(conversation, this.members);
  }
}
