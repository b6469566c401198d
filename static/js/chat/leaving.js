// Leaving the page with messages not yet sent (refused for the moment too: outbox.js unsent): closing or reloading
// the tab asks first (they are kept on disk and go out on the next load, but only then; a file not yet uploaded is
// not kept); logging out asks too, since logging out clears
// this user's drafts and unsent messages from the browser, as does a logout from another page of this
// browser (session:ended "logout").

import { $ } from "./dom.js";
import { nt, t } from "../i18n.js";

export function guardLeaving({ outbox, drafts, confirm, connection }) {
  connection.socket.on("session:ended", ({ reason } = {}) => {
    if (reason !== "logout") return; // ended elsewhere, deactivated…: kept for the next login here
    drafts.clearAll();
    outbox.forget();
  });
  window.addEventListener("beforeunload", (event) => {
    if (!outbox.unsent()) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show their (own-worded) warning
  });
  const form = $("#logout-form");
  let confirmed = false;
  form?.addEventListener("submit", async (event) => {
    if (confirmed) return;
    event.preventDefault();
    const unsent = outbox.entries.size; // failed ones too: logging out deletes them as well
    if (unsent && !(await confirm(t("Log out with unsent messages?"),
      nt("{count} message is not sent yet: logging out deletes it from this browser.",
        "{count} messages are not sent yet: logging out deletes them from this browser.", unsent), t("Log out")))) return;
    drafts.clearAll();
    await outbox.forget();
    confirmed = true;
    form.requestSubmit();
  });
}
