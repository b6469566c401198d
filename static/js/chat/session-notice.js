// A login session ended (docs/protocol.md `session:ended`): signed in on another browser under the
// single-session policy, logged out or revoked elsewhere, or the account deactivated or suspended by an
// operator. The page says why, stops reconnecting (its cookies sign nobody in any more), stays where
// it is (the drafts are kept, drafts.js) and offers the login page.

import { stayWhenSignedOut } from "./api.js";
import { $ } from "./dom.js";
import { dateTimeFormat, t } from "../i18n.js";

const REASONS = {
  signed_in_elsewhere: t("You signed in on another device or browser, so this page was signed out."),
  password_changed: t("Your password was changed, so this page was signed out."),
  password_reset: t("Your password was reset, so this page was signed out. Log in with the new password."),
  logout: t("You logged out in another tab, so this page was signed out."),
  revoked: t("This browser's session was ended from another device, so this page was signed out."),
  revoked_by_operator: t("An operator ended this browser's session, so this page was signed out."),
  deactivated: t("An operator deactivated your account, so you were signed out. Your drafts are kept in this browser."),
  suspended: t("An operator suspended your account, so you were signed out. Your drafts are kept in this browser."),
  idle: t("This session was unused for too long, so this page was signed out."),
  expired: t("This session reached its maximum age, so this page was signed out."),
};

const untilFormat = dateTimeFormat({ dateStyle: "medium", timeStyle: "short" });

/** Why, and for a suspension until when and the operator's reason when the server gives them. */
function explanation({ reason, until, message }) {
  const parts = [REASONS[reason] || t("You were signed out.")];
  if (reason === "suspended" && until) parts.push(t("Suspended until {until}.", { until: untilFormat.format(new Date(until)) }));
  if (reason === "suspended" && message) parts.push(t("Reason: {reason}", { reason: message }));
  return parts.join(" ");
}

export function watchSessionEnd(connection) {
  connection.socket.on("session:ended", (ended) => {
    connection.ended = true; // connection.js: no reconnecting after this
    stayWhenSignedOut();
    $("#session-ended-text").textContent = explanation(ended || {});
    $("#session-ended").hidden = false;
  });
}
