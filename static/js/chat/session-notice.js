// A login session ended (docs/protocol.md `session:ended`): signed in on another browser under the
// single-session policy, logged out or revoked elsewhere. The page says why, stops reconnecting
// (its cookies sign nobody in any more) and offers the login page.

import { $ } from "./dom.js";
import { t } from "../i18n.js";

const REASONS = {
  signed_in_elsewhere: t("You signed in on another device or browser, so this page was signed out."),
  password_changed: t("Your password was changed, so this page was signed out."),
};

export function watchSessionEnd(connection) {
  connection.socket.on("session:ended", ({ reason }) => {
    connection.ended = true; // connection.js: no reconnecting after this
    $("#session-ended-text").textContent = REASONS[reason] || t("You were signed out.");
    $("#session-ended").hidden = false;
  });
}
