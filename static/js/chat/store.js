// The page's state, without DOM: the conversation list and the loaded messages of each conversation.

import { Thread } from "./thread.js";

function activity(conversation) {
  const stamp = conversation.last_message_at || conversation.created_at;
  return stamp ? Date.parse(stamp) || 0 : 0;
}

function newerMessage(first, second) {
  if (!first || !second) return first || second || null;
  if (first.seq !== second.seq) return first.seq > second.seq ? first : second;
  return (first.revision || 0) > (second.revision || 0) ? first : second;
}

/**
 * What a conversation payload made before the page's live updates cannot undo (the list asked for
 * on connect, answered after a message or a read arrived live): read positions only move forward,
 * and a snapshot behind the page's last_seq did not count the messages after it, which were counted
 * as they came (noteMessage).
 */
function keepLiveCounts(merged, existing, incoming) {
  const readBefore = existing.membership?.last_read_seq || 0;
  if (merged.membership && readBefore > (merged.membership.last_read_seq || 0)) {
    merged.membership = { ...merged.membership, last_read_seq: readBefore };
  }
  if ("unread_count" in incoming && (incoming.last_seq || 0) < (existing.last_seq || 0)) {
    merged.unread_count = Math.max(merged.unread_count || 0, existing.unread_count || 0);
    merged.unread_mentions = Math.max(merged.unread_mentions || 0, existing.unread_mentions || 0);
  }
  const read = merged.membership?.last_read_seq;
  if (typeof read === "number") capUnreadAt(merged, read);
}

/** No more unread (nor unread mentions) than there are messages after the read position `seq`. */
function capUnreadAt(conversation, seq) {
  const left = Math.max(0, (conversation.last_seq || 0) - seq);
  conversation.unread_count = Math.min(conversation.unread_count || 0, left);
  conversation.unread_mentions = Math.min(conversation.unread_mentions || 0, conversation.unread_count);
}

/** The user's conversations, as the sidebar shows them. */
export class ConversationStore {
  constructor(me) {
    this.me = me;
    this.conversations = new Map();
    this.threads = new Map();
    this.clock = 0; // counts changes; time is too coarse to order them
    this.changedAt = new Map(); // conversation id -> the clock when it was last added, updated or removed
    this.countedUpTo = new Map(); // conversation id -> the last_revision of the server's latest counts
  }

  get(conversationId) {
    return this.conversations.get(conversationId);
  }

  thread(conversationId) {
    if (!this.threads.has(conversationId)) this.threads.set(conversationId, new Thread(conversationId));
    return this.threads.get(conversationId);
  }

  /** A point in the order of changes: ask for a list, then pass this to replaceAll. */
  mark() {
    this.clock += 1;
    return this.clock;
  }

  /**
   * Replace the list with one the server made after `askedAt` (from mark());
   * answers the ids that disappeared. Events that came in meanwhile are newer than the list:
   * a conversation added or removed since it was asked for stays added or removed.
   */
  replaceAll(conversations, askedAt) {
    const fresh = new Set(conversations.map((conversation) => conversation.id));
    const gone = [...this.conversations.keys()]
      .filter((id) => !fresh.has(id) && !((this.changedAt.get(id) ?? -Infinity) > askedAt));
    for (const id of gone) this.remove(id);
    for (const conversation of conversations) {
      const removedLater = !this.conversations.has(conversation.id) && this.changedAt.get(conversation.id) > askedAt;
      if (!removedLater) this.upsert(conversation);
    }
    return gone;
  }

  /** Merge a conversation payload; partial payloads (events) keep what they do not carry. */
  upsert(incoming) {
    const existing = this.conversations.get(incoming.id);
    const merged = { last_message: null, unread_count: 0, ...existing, ...incoming };
    if (existing) {
      merged.membership = incoming.membership || existing.membership;
      if (!("unread_count" in incoming)) merged.unread_count = existing.unread_count;
      if (!incoming.title) merged.title = existing.title;
      // Any snapshot may be older than what live messages already told us: keep the newest.
      merged.last_message = newerMessage(existing.last_message, incoming.last_message);
      merged.last_seq = Math.max(existing.last_seq || 0, incoming.last_seq || 0);
      merged.last_revision = Math.max(existing.last_revision || 0, incoming.last_revision || 0);
      if (activity(existing) > activity(incoming)) merged.last_message_at = existing.last_message_at;
      keepLiveCounts(merged, existing, incoming);
    }
    if (merged.kind === "group" && incoming.name) merged.title = incoming.name;
    // Counts from the server hold every change up to its last_revision: a replay of one (the sync after
    // a reconnect) must not move them again (recount).
    if ("unread_count" in incoming && incoming.last_revision) {
      this.countedUpTo.set(incoming.id, Math.max(this.countedUpTo.get(incoming.id) || 0, incoming.last_revision));
    }
    this.conversations.set(incoming.id, merged);
    // The server has every change up to last_revision: a thread that has not applied them has a gap.
    this.threads.get(incoming.id)?.revisions.noteExists(merged.last_revision);
    this.changedAt.set(incoming.id, this.mark());
    return merged;
  }

  remove(conversationId) {
    this.changedAt.set(conversationId, this.mark());
    this.conversations.delete(conversationId);
    this.threads.delete(conversationId);
  }

  sorted() {
    return [...this.conversations.values()].sort((first, second) => activity(second) - activity(first)
      || second.id - first.id);
  }

  /**
   * A message arrived (live or through a sync): update preview, activity and unread count.
   * `counted` says whether it may raise the unread badge (the user is not looking at it).
   * Answers "recount" when a change of an unread message may have changed the counts and the page
   * does not hold the copy it counted (recount): ask the server's (the conversation list).
   */
  noteMessage(message, { counted }) {
    const conversation = this.conversations.get(message.conversation_id);
    if (!conversation) return false;
    // Newer than the last message the page knows of; not `last_seq`: a conversation payload
    // rendered as the message was stored already counts it (conversation:added of a new
    // notices chat), and the message's own event comes after it.
    const isNew = message.seq > (conversation.last_message?.seq || 0);
    if (isNew) {
      conversation.last_seq = Math.max(conversation.last_seq || 0, message.seq);
      conversation.last_message = message;
      if (!conversation.last_message_at || Date.parse(message.created_at) > Date.parse(conversation.last_message_at)) {
        conversation.last_message_at = message.created_at;
      }
      const fromOthers = !message.sender || message.sender.id !== this.me.id;
      const readUpTo = conversation.membership?.last_read_seq || 0;
      if (counted && fromOthers && !message.removed && message.seq > readUpTo) {
        conversation.unread_count = (conversation.unread_count || 0) + 1;
        // The "@" badge (sidebar.js): unread messages that mention the user.
        if ((message.mentions || []).includes(this.me.id)) {
          conversation.unread_mentions = (conversation.unread_mentions || 0) + 1;
        }
      }
      if (!fromOthers && conversation.membership) {
        // The server counts your own messages as read.
        conversation.membership.last_read_seq = Math.max(readUpTo, message.seq);
      }
    } else {
      const before = this.heldCopy(conversation, message.id);
      if (conversation.last_message?.id === message.id) {
        conversation.last_message = message; // edited or removed: the preview follows
      }
      return this.recount(conversation, before, message);
    }
    return true;
  }

  /** The copy of a message the page holds (loaded, or its conversation's preview), if any. */
  heldCopy(conversation, messageId) {
    const thread = this.threads.get(conversation.id);
    return thread?.tail.byId.get(messageId) || thread?.window?.segment.byId.get(messageId)
      || (conversation.last_message?.id === messageId ? conversation.last_message : null);
  }

  /**
   * A change of a message of others after the read position: the server counts it unread unless it is
   * removed, and as a mention if it also mentions the user, so a deletion, a hiding (or unhiding) and an
   * edit that mentions the user or no longer does move the badges, as they would after a reload. From
   * `before`, the copy the page counted; without one, "recount" when the change may have moved them.
   */
  recount(conversation, before, message) {
    const fromOthers = !message.sender || message.sender.id !== this.me.id;
    if (!fromOthers || message.seq <= (conversation.membership?.last_read_seq || 0)) return true;
    if ((message.revision || 0) <= (this.countedUpTo.get(conversation.id) || 0)) return true; // counted by the server
    if (!before) return message.removed || message.edited_at ? "recount" : true;
    if ((before.revision || 0) >= (message.revision || 0)) return true; // a late copy
    const counts = (copy) => (copy.removed ? [0, 0] : [1, (copy.mentions || []).includes(this.me.id) ? 1 : 0]);
    const [wasUnread, wasMention] = counts(before);
    const [unread, mention] = counts(message);
    conversation.unread_count = Math.max(0, (conversation.unread_count || 0) + unread - wasUnread);
    conversation.unread_mentions = Math.max(0, (conversation.unread_mentions || 0) + mention - wasMention);
    capUnreadAt(conversation, conversation.membership?.last_read_seq || 0);
    return true;
  }

  /** The user read up to `seq` (here or in another tab). A read position only moves forward, as the
   * server's does: the echo of an earlier read arriving after a later one changes nothing. */
  noteRead(conversationId, seq) {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return;
    const readUpTo = Math.max(seq, conversation.membership?.last_read_seq ?? 0);
    conversation.membership = { ...(conversation.membership || {}), last_read_seq: readUpTo };
    capUnreadAt(conversation, readUpTo);
  }
}
