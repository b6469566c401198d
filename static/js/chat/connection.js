// The Socket.IO connection and its state, always shown: connecting, online, reconnecting, offline.

import { $ } from "./dom.js";
import { t } from "../i18n.js";

const LABELS = {
  connecting: t("Connecting…"),
  online: t("Online"),
  reconnecting: t("Reconnecting…"),
  offline: t("Offline"),
};
const ACK_TIMEOUT_MS = 15000;

export class Connection {
  constructor({ onConnect, onStateChange, onRefused }) {
    this.statusElement = $("#connection-status");
    this.everConnected = false;
    this.stoppedByUser = false;
    this.onConnect = onConnect;
    this.onStateChange = onStateChange;
    // Same origin, the session cookie authenticates; socket.io reconnects by itself.
    this.socket = window.io({ autoConnect: false, reconnectionDelayMax: 5000 });
    window.switchboardSocket = this.socket; // a handle for tests and for debugging from the console
    this.socket.on("connect", () => {
      this.everConnected = true;
      this.stoppedByUser = false;
      this.render();
      this.onConnect();
    });
    this.socket.on("disconnect", (reason) => {
      this.stoppedByUser = reason === "io client disconnect";
      if (reason === "io server disconnect" && !this.ended) { // ended: session-notice.js
        // The server cut us (e.g. the account changed): socket.io does not retry this by itself.
        setTimeout(() => this.socket.connect(), 1000);
      }
      this.render();
    });
    this.socket.on("connect_error", () => {
      this.render();
      // Network errors keep socket.io retrying; a refusal by the server stops it (not active).
      if (!this.socket.active) onRefused?.();
    });
    this.socket.io.on("reconnect_attempt", () => this.render());
    this.socket.io.on("reconnect_failed", () => this.render());
    window.addEventListener("online", () => this.render());
    window.addEventListener("offline", () => this.render());
  }

  start() {
    this.render();
    this.socket.connect();
  }

  get connected() {
    return this.socket.connected;
  }

  get state() {
    if (this.socket.connected) return "online";
    if (this.stoppedByUser || !navigator.onLine) return "offline";
    if (!this.socket.active) return "offline"; // socket.io gave up
    return this.everConnected ? "reconnecting" : "connecting";
  }

  render() {
    const state = this.state;
    this.statusElement.dataset.state = state;
    this.statusElement.textContent = LABELS[state];
    this.onStateChange?.(state);
  }

  /** Emit with an ack; resolves with the ack payload or rejects on timeout / disconnect. */
  request(event, payload) {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  }

  /** Fire-and-forget with an ack callback (message:send keeps its own outbox). */
  emit(event, payload, ack) {
    this.socket.emit(event, payload, ack);
  }
}
