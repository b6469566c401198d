// The settings page's Web Push section: subscribe this browser (permission asked from the button only),
// choose whether notifications show the text, unsubscribe, and list the browsers subscribed.

import { api } from "./chat/api.js";
import { el } from "./chat/dom.js";
import { t } from "./i18n.js";

const status = document.getElementById("push-status");
const enable = document.getElementById("push-enable");
const disable = document.getElementById("push-disable");
const includeText = document.getElementById("push-include-text");
const list = document.getElementById("push-subscriptions");

function applicationServerKey(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
}

async function registration() {
  return navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

async function current() {
  const worker = await navigator.serviceWorker.getRegistration("/");
  return worker ? worker.pushManager.getSubscription() : null;
}

function showList(subscriptions, mine, own) {
  if (own) includeText.checked = own.include_text;
  list.replaceChildren(...subscriptions.map((subscription) => el("li", {}, [
    el("span", { text: subscription.user_agent || t("Unknown browser") }),
    el("span", { className: "muted", text: ` · ${subscription.include_text ? t("with text") : t("without text")}` }),
    mine && mine.endpoint === subscription.endpoint ? el("strong", { text: ` · ${t("this browser")}` }) : null,
    el("button", { className: "button subtle small", text: t("Remove"), attrs: { type: "button" },
      on: { click: () => remove(subscription.endpoint) } }),
  ])));
  if (!subscriptions.length) list.append(el("li", { className: "muted", text: t("None.") }));
}

async function refresh() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = t("This browser cannot receive push notifications.");
    return;
  }
  const mine = await current();
  const { subscriptions } = await api("GET", "/push/subscriptions");
  // The browser may keep a subscription the server forgot (made under a login that ended since): it is
  // pushed nothing, so it is offered again; subscribing reuses it.
  const own = mine && subscriptions.find((subscription) => subscription.endpoint === mine.endpoint);
  enable.hidden = Boolean(own);
  disable.hidden = !own;
  status.textContent = Notification.permission === "denied"
    ? t("Notifications are blocked for this site in the browser's settings.")
    : own ? t("This browser gets notifications.") : t("This browser does not get notifications.");
  showList(subscriptions, mine, own);
}

async function subscribe() {
  try {
    if (await Notification.requestPermission() !== "granted") {
      await refresh();
      return;
    }
    const { public_key: key } = await api("GET", "/push/key");
    const worker = await registration();
    await navigator.serviceWorker.ready;
    const options = { userVisibleOnly: true, applicationServerKey: applicationServerKey(key) };
    const subscription = await worker.pushManager.subscribe(options);
    try {
      await api("POST", "/push/subscriptions", { subscription: subscription.toJSON(),
        include_text: includeText.checked });
    } catch (error) {
      // Another account holds this browser's endpoint with other keys (whoever knew it subscribed it
      // once this browser's login had ended): a subscription made anew has an endpoint of its own.
      if (error.code !== "push_endpoint_taken") throw error;
      await subscription.unsubscribe();
      const renewed = await worker.pushManager.subscribe(options);
      await api("POST", "/push/subscriptions", { subscription: renewed.toJSON(), include_text: includeText.checked });
    }
  } catch (error) {
    status.textContent = error.message;
    return;
  }
  await refresh();
}

async function remove(endpoint) {
  try {
    await api("DELETE", "/push/subscriptions", { endpoint });
    const mine = await current();
    if (mine && mine.endpoint === endpoint) await mine.unsubscribe();
  } catch (error) {
    status.textContent = error.message;
  }
  await refresh();
}

enable.addEventListener("click", subscribe);
disable.addEventListener("click", async () => {
  const mine = await current();
  if (mine) await remove(mine.endpoint);
});
includeText.addEventListener("change", async () => {
  const mine = await current();
  if (!mine) return;
  await api("POST", "/push/subscriptions", { subscription: mine.toJSON(), include_text: includeText.checked })
    .catch((error) => { status.textContent = error.message; });
  await refresh();
});
refresh().catch((error) => { status.textContent = error.message; });
