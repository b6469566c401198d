// The page's state, without DOM: the conversation list and the loaded messages of each conversation.

import { RevisionWatermark } from "./watermark.js";

function activity(conversation) {
  const stamp = conversation.last_message_at || conversation.created_at;
  return stamp ? Date.parse(stamp) || 0 : 0;
}

function newerMessage(first, second) {
  if (!first || !second) return first || second || null;
  if (first.seq !== second.seq) return first.seq > second.seq ? first : second;
  return (first.revision || 0) > (second.revision || 0) ? first : second;
}

/** The messages of one conversation that the page has loaded, in seq order, each once. */
export class Thread {
  constructor(conversationId) {
    this.conversationId = conversationId;
    this.messages = []; // sorted by seq
    this.byId = new Map();
    this.loaded = false; // the newest page of history has arrived
    this.loading = false;
    this.hasMore = true; // older messages exist on the server
    this.floorSeq = null; // lowest seq fetched through history: below it the page knows nothing
    // The resync cursor. A change to a message below `floorSeq` counts as applied: "load
    // older" fetches that message as it is then.
    this.revisions = new RevisionWatermark();
  }

  get newestSeq() {
    return this.messages.length ? this.messages[this.messages.length - 1].seq : 0;
  }

  get oldestSeq() {
    return this.messages.length ? this.messages[0].seq : null;
  }

  /**
   * Insert or replace one message; answers "inserted", "replaced" or null (nothing changed).
   * Either way the change with its revision is applied: shown, superseded by a newer revision
   * of the same message, or below the history the page has loaded.
   */
  apply(message) {
    this.revisions.noteApplied(message.revision);
    const existing = this.byId.get(message.id);
    if (existing) {
      if ((existing.revision || 0) >= (message.revision || 0)) return null;
      this.messages[this.indexOfSeq(existing.seq)] = message;
      this.byId.set(message.id, message);
      return "replaced";
    }
    // Below the oldest history page there is a hole that "load older" fills; a change
    // to a message down there must not appear next to the newer ones.
    if (this.hasMore && this.floorSeq !== null && message.seq < this.floorSeq) return null;
    const index = this.insertionPoint(message.seq);
    this.messages.splice(index, 0, message);
    this.byId.set(message.id, message);
    return "inserted";
  }

  /** A page of history (any order): widens the known range first, then applies. */
  applyHistory(messages, hasMore) {
    const seqs = messages.map((message) => message.seq);
    if (seqs.length) this.floorSeq = Math.min(this.floorSeq ?? Infinity, ...seqs);
    this.hasMore = hasMore && seqs.length > 0;
    if (!this.hasMore && this.floorSeq === null) this.floorSeq = 0;
    const changed = [];
    for (const message of messages) if (this.apply(message)) changed.push(message);
    if (this.hasMore) {
      // Live events that arrived before the first page may lie below it: drop them.
      const orphans = this.messages.filter((message) => message.seq < this.floorSeq);
      for (const orphan of orphans) this.byId.delete(orphan.id);
      this.messages = this.messages.filter((message) => message.seq >= this.floorSeq);
    }
    return changed;
  }

  indexOfSeq(seq) {
    const index = this.insertionPoint(seq);
    return this.messages[index]?.seq === seq ? index : -1;
  }

  /** First index whose seq is >= `seq` (binary search). */
  insertionPoint(seq) {
    let low = 0;
    let high = this.messages.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.messages[middle].seq < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** The user's conversations, as the sidebar shows them. */
export class ConversationStore {
  constructor(me) {
    this.me = me;
    this.conversations = new Map();
    this.threads = new Map();
    this.clock = 0; // counts changes; time is too coarse to order them
    this.changedAt = new Map(); // conversation id -> the clock when it was last added, updated or removed
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
    }
    if (merged.kind === "group" && incoming.name) merged.title = incoming.name;
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
    } else if (conversation.last_message?.id === message.id) {
      conversation.last_message = message; // edited or removed: the preview follows
    }
    return true;
  }

  /** The user read up to `seq` (here or in another tab). */
  noteRead(conversationId, seq) {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return;
    conversation.membership = { ...(conversation.membership || {}), last_read_seq: seq };
    const left = Math.max(0, (conversation.last_seq || 0) - seq);
    conversation.unread_count = Math.min(conversation.unread_count || 0, left);
    conversation.unread_mentions = Math.min(conversation.unread_mentions || 0, conversation.unread_count);
  }
}
