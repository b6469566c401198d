// Drafts: what the user typed in each conversation, and the message they were answering, kept in
// this browser's localStorage per user and conversation. They survive switching conversations, a
// reload and an ended session; sending clears the conversation's draft, logging out clears them all.

const PREFIX = "switchboard.draft.";

/** The part of a message a restored reply bar shows (reply-draft.js): never more than needed. */
function replySummary(message) {
  const sender = message.sender ? { display_name: message.sender.display_name, username: message.sender.username } : null;
  return { id: message.id, body: message.body || "", sender,
    attachment: message.attachment ? { filename: message.attachment.filename } : null };
}

export class Drafts {
  constructor(userId) {
    this.prefix = `${PREFIX}${userId}.`;
  }

  /** {body, reply} of a conversation: empty when nothing was kept (or storage is unavailable). */
  get(conversationId) {
    try {
      const kept = JSON.parse(localStorage.getItem(this.prefix + conversationId) || "null");
      return { body: typeof kept?.body === "string" ? kept.body : "", reply: kept?.reply || null };
    } catch {
      return { body: "", reply: null };
    }
  }

  saveBody(conversationId, body) {
    this.write(conversationId, { ...this.get(conversationId), body });
  }

  saveReply(conversationId, message) {
    this.write(conversationId, { ...this.get(conversationId), reply: message ? replySummary(message) : null });
  }

  clear(conversationId) {
    this.write(conversationId, { body: "", reply: null });
  }

  write(conversationId, draft) {
    if (!conversationId) return;
    try {
      if (!draft.body && !draft.reply) localStorage.removeItem(this.prefix + conversationId);
      else localStorage.setItem(this.prefix + conversationId, JSON.stringify(draft));
    } catch {
      // Storage full or refused (private mode): the draft lives only as long as the page.
    }
  }

  /** On logout: this user's drafts leave the browser. */
  clearAll() {
    try {
      const keys = [];
      for (let index = 0; index < localStorage.length; index += 1) keys.push(localStorage.key(index));
      for (const key of keys) if (key?.startsWith(this.prefix)) localStorage.removeItem(key);
    } catch {
      // nothing kept, nothing to clear
    }
  }
}
