// Notifications in the page (docs/protocol.md "Notifications and Web Push"): a mute button in the
// conversation's header (muted: silent except for mentions of the user), an optional sound, and
// browser notifications while the tab is hidden, asked for from a button, never on load; clicking
// one opens its conversation. The title's unread badge is the sidebar's.

import { $, el, toast } from "./dom.js";
import { mentionsMe } from "./message-depth.js";
import { t } from "../i18n.js";
import { plainText } from "./message-format.js";
import { displayName } from "./avatars.js";

const SOUND_KEY = "switchboard.sound";

/** The user's own setting, in their membership (docs/protocol.md "Notifications and Web Push"). */
function isMuted(conversation) {
  return Boolean(conversation?.membership?.muted);
}

export class Notifier {
  constructor({ app }) {
    this.app = app;
    this.sound = localStorage.getItem(SOUND_KEY) === "on";
    this.muteButton = el("button", { className: "button subtle", attrs: { type: "button", id: "mute-button" },
      on: { click: () => this.toggleMute() } });
    $("#leave-button").before(this.muteButton);
    this.permissionButton = el("button", { className: "button subtle small", text: t("Enable notifications"),
      attrs: { type: "button", id: "notifications-button" }, on: { click: () => this.askPermission() } });
    this.soundToggle = el("input", { attrs: { type: "checkbox", id: "sound-toggle" },
      on: { change: () => this.setSound(this.soundToggle.checked) } });
    this.soundToggle.checked = this.sound;
    const soundLabel = el("label", { className: "sound-toggle" }, [this.soundToggle, el("span", { text: t("Sound") })]);
    $(".sidebar-actions").append(this.permissionButton, soundLabel);
    this.showPermission();
    // A Web Push notification clicked while this page is open (static/js/sw.js): open its conversation.
    navigator.serviceWorker?.addEventListener("message", (event) => {
      if (event.data?.type === "open-conversation" && event.data.conversationId) this.app.open(event.data.conversationId);
    });
  }

  bind(on) {
    on("message:new", ({ message }) => this.arrived(message));
    on("conversation:muted", ({ conversation_id: id, muted }) => this.mutedChanged(id, muted));
  }

  /** The open conversation's header shows Mute or Unmute. */
  showFor(conversation) {
    this.muteButton.textContent = isMuted(conversation) ? t("Unmute") : t("Mute");
    this.muteButton.setAttribute("aria-pressed", isMuted(conversation) ? "true" : "false");
  }

  /** The sidebar's hook: a muted conversation shows a crossed bell and a greyed unread count. */
  decorate(item, conversation) {
    if (!isMuted(conversation)) return;
    item.classList.add("is-muted");
    item.querySelector(".conversation-top")?.append(el("span", { className: "muted-mark", text: "🔕",
      attrs: { title: t("Muted"), "aria-label": t("Muted") } }));
  }

  async toggleMute() {
    const conversation = this.app.openId ? this.app.store.get(this.app.openId) : null;
    if (!conversation) return;
    try {
      const ack = await this.app.ask("conversation:mute", { conversation_id: conversation.id,
        muted: !isMuted(conversation) });
      this.mutedChanged(ack.conversation_id, ack.muted);
    } catch (error) {
      toast(error);
    }
  }

  mutedChanged(conversationId, muted) {
    const conversation = this.app.store.get(conversationId);
    if (!conversation) return;
    conversation.membership = { ...conversation.membership, muted };
    if (this.app.openId === conversationId) this.showFor(conversation);
    this.app.sidebar.render();
  }

  setSound(on) {
    this.sound = on;
    localStorage.setItem(SOUND_KEY, on ? "on" : "off");
  }

  showPermission() {
    const supported = "Notification" in window;
    this.permissionButton.hidden = !supported || Notification.permission !== "default";
  }

  async askPermission() {
    try {
      await Notification.requestPermission();
    } finally {
      this.showPermission();
    }
  }

  /** A message of someone else: a sound and, while the tab is hidden, a browser notification,
   * unless its conversation is muted and it does not mention the user, or the user is looking at it. */
  arrived(message) {
    const me = this.app.me;
    const conversation = this.app.store.get(message.conversation_id);
    if (!conversation || !message.sender || message.sender.id === me.id || message.removed) return;
    if (isMuted(conversation) && !mentionsMe(message, me)) return;
    if (this.app.contacts.isBlocked(message.sender.id)) return; // their messages are hidden on the page
    const looking = !document.hidden && document.hasFocus() && this.app.openId === conversation.id;
    if (looking) return;
    if (this.sound) beep();
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      const sender = displayName(message.sender);
      const title = conversation.kind === "group" ? `${sender} · ${conversation.title || ""}` : sender;
      const notification = new Notification(title, { body: plainText(message.body) || t("Sent a file"),
        tag: `conversation-${conversation.id}` });
      notification.onclick = () => {
        window.focus();
        this.app.open(conversation.id);
        notification.close();
      };
    }
  }
}

let audio = null;

/** A short two-tone chime, made with Web Audio (no file to load). */
function beep() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [offset, frequency] of [[0, 880], [0.12, 1320]]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.08, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.15);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(now + offset);
      oscillator.stop(now + offset + 0.16);
    }
  } catch {
    // No audio (autoplay policy before any click): stay silent.
  }
}
