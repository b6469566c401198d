// The service worker of Web Push (docs/protocol.md "Notifications and Web Push"), served at /sw.js so
// that its scope is the whole site. A push is {type: "message", conversation_id, message_id} and,
// unless the subscription chose privacy, title, sender and body; without them, `notice` ("New message"
// in the subscriber's language: the server writes it, this worker has no catalogue). Clicking the notification focuses
// an open chat page (which opens the conversation) or opens one at #c<id>.

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const conversationId = Number(data.conversation_id) || null;
  const title = data.title || "Switchboard";
  const withText = typeof data.body === "string";
  const body = withText ? (data.sender && data.title !== data.sender ? `${data.sender}: ${data.body}` : data.body)
    : (typeof data.notice === "string" && data.notice) || "New message";
  event.waitUntil(self.registration.showNotification(title, {
    body,
    tag: conversationId ? `conversation-${conversationId}` : "switchboard",
    renotify: true,
    data: { conversationId },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conversationId = event.notification.data?.conversationId;
  const url = conversationId ? `/#c${conversationId}` : "/";
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const chat = pages.find((page) => new URL(page.url).pathname === "/");
    if (chat) {
      chat.postMessage({ type: "open-conversation", conversationId });
      return chat.focus();
    }
    return self.clients.openWindow(url);
  })());
});
