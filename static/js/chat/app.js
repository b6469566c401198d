// The chat page's controller: REST for lists and history, the socket for everything live.

import { api } from "./api.js";
import { displayName, knownName, rememberPerson } from "./avatars.js";
import { Composer } from "./composer.js";
import { Connection } from "./connection.js";
import { Contacts } from "./contacts.js";
import { Dialogs } from "./dialogs.js";
import { Drafts } from "./drafts.js";
import { EmojiPicker } from "./emoji-picker.js";
import { FilePreview } from "./file-preview.js";
import { $, actsAsButton, debounce, toast } from "./dom.js";
import { ConversationHeader } from "./header.js";
import { GroupPanel } from "./group-panel.js";
import { History } from "./history.js";
import { t } from "../i18n.js";
import { Outbox } from "./outbox.js";
import { OutboxStore } from "./outbox-store.js";
import { guardLeaving } from "./leaving.js";
import { ProfileCard } from "./profile-card.js";
import { ReportDialog } from "./report.js";
import { Sender, refusal } from "./sender.js";
import { Sidebar } from "./sidebar.js";
import { ConversationStore } from "./store.js";
import { Sync } from "./sync.js";
import { ThreadView } from "./thread-view.js";
import { PresenceBook } from "./presence.js";
import { PresenceView } from "./presence-view.js";
import { watchSessionEnd } from "./session-notice.js";
import { Typing } from "./typing.js";
import { Receipts } from "./receipts.js";
import { UnreadDivider, pageIsSeen, readPosition, visibleSeqs } from "./unread.js";
import { MessageDepth } from "./message-actions.js";
import { quoteOf } from "./message-depth.js";
import { MessageSearch } from "./search.js";
import { Notifier } from "./notifications.js";

const SESSION_RETRY_MS = 5000;

/** The focus is in `part` of the page (about to be hidden with it), or already fell to the page's body. */
const lostWith = (part) => part.contains(document.activeElement) || document.activeElement === document.body;

// Shown above the messages whenever the socket is not online (on phones the sidebar is hidden).
const STATE_NOTES = {
  connecting: t("Connecting…"),
  reconnecting: t("Reconnecting… Messages you send will go out when the connection is back."),
  offline: t("You are offline. Messages you send will go out when the connection is back."),
};

export class ChatApp {
  constructor(me) {
    this.me = me;
    this.store = new ConversationStore(me);
    this.drafts = new Drafts(me.id); // per conversation, in localStorage (drafts.js)
    this.outbox = new Outbox(new OutboxStore(me.id)); // kept in IndexedDB across loads (outbox-store.js)
    this.openId = null;
    this.mentionLookups = new Set(); // ids of mentioned people whose profiles were asked for (lookUpMentioned)
    this.sidebar = new Sidebar({ store: this.store, onOpen: (id) => this.open(id),
      decorate: (item, conversation) => {
        this.presenceView?.decorate(item, conversation);
        this.notifier?.decorate(item, conversation);
      },
      isBlocked: (userId) => this.contacts.isBlocked(userId),
      typingIn: (id) => this.typing?.text(id) || "" });
    this.header = new ConversationHeader({ me, onLeave: (id) => this.leave(id), onBack: () => this.close(),
      onRender: (conversation, members) => {
        this.presenceView?.headerShown(conversation, members);
        this.groupPanel?.shown(conversation, members); // the group info panel follows live (group-panel.js)
        if (members) { // the mentioned members' names are known now; anyone else's is asked for
          this.view?.redrawMentions();
          this.lookUpMentioned();
          this.depth?.mentions.membersChanged(); // and whom a name being written may mean
        }
      },
      onProfile: (user) => this.profileCard.open(user) });
    this.view = new ThreadView({
      me,
      onNearTop: () => this.history.older(this.openId ? this.store.threads.get(this.openId) : null),
      onNearBottom: () => this.history.newer(this.openId ? this.store.threads.get(this.openId) : null),
      onLatest: (thread) => {
        this.history.latest(thread);
        this.markRead();
      },
      onEdit: (message) => this.editMessage(message),
      onDelete: (message) => this.deleteMessage(message),
      onReport: (message) => this.reports.open(message),
      onProfile: (user, message) => this.profileCard.open(user, { message }),
      isBlocked: (userId) => this.contacts.isBlocked(userId),
      receiptOf: (conversation, message) => this.receipts.ticks(conversation, message),
      onShown: () => this.divider.place(),
      depth: {
        onReply: (message) => this.depth.reply(message),
        onToggleReaction: (message, emoji, mine) => this.depth.toggleReaction(message, emoji, mine),
        onJump: (messageId) => this.depth.jump(messageId),
        nameOf: (conversationId, userId) => this.nameOf(conversationId, userId),
        // A text drawn mentions someone of no known username: asked for if the members are in (else when they are).
        onUnknownMentions: (userIds) => { if (this.header.members) this.lookUpMentioned(userIds); },
      },
      onRetry: (clientId) => this.sender.retry(clientId),
      onDiscard: (clientId) => this.sender.discard(clientId),
    });
    this.divider = new UnreadDivider({ me, scroller: this.view.scroller, list: this.view.list });
    this.view.scroller.addEventListener("scroll", debounce(() => this.markRead(), 250));
    this.dialogs = new Dialogs({ store: this.store, onConversation: (conversation) => this.adopt(conversation) });
    this.groupPanel = new GroupPanel({ me, presenceOf: (userId) => this.presenceView.entryOf(userId),
      confirm: (title, text, button) => this.dialogs.confirm(title, text, button),
      onLeave: (id, report) => this.leave(id, report), onMember: (id, member) => this.header.memberChanged(id, member) });
    this.contacts = new Contacts({ me, onChat: (conversation) => this.adopt(conversation),
      onBlocksChanged: () => this.blocksChanged(),
      presenceOf: (userId) => this.presence.get(userId), notePresence: (entries) => this.presence.note(entries) });
    // Blocking is one step from reporting: the report dialog offers it (docs/protocol.md).
    this.reports = new ReportDialog({ ask: (event, payload) => this.ask(event, payload),
      block: (user) => this.contacts.block(user) });
    $("#unblock-button").addEventListener("click", () => {
      const peer = this.openId ? this.store.get(this.openId)?.peer : null;
      if (peer) this.contacts.unblock(peer.id);
    });
    this.profileCard = new ProfileCard({
      me,
      onMessage: (conversation) => this.adopt(conversation),
      onReport: (message) => this.reports.open(message),
      latestMessageOf: (userId) => this.latestMessageOf(userId),
      confirm: (title, text, button) => this.dialogs.confirm(title, text, button),
      contacts: this.contacts,
    });
    actsAsButton($("#me-avatar"), () => this.profileCard.open(this.me));
    this.filePreview = new FilePreview({
      onSend: (conversationId, files, caption) => this.sender.attach(conversationId, files, caption),
      onClose: () => this.composer.focus(),
    });
    this.emojiPicker = new EmojiPicker();
    this.composer = new Composer({
      onSend: (body) => this.compose(body),
      // Files are shown with a caption field before they go (file-preview.js).
      onFiles: (files) => this.openId && this.filePreview.open(this.openId, files),
      drafts: this.drafts,
    });
    this.connection = new Connection({
      onConnect: () => {
        this.showDelivery("ok"); // a new connection: its server says "degraded" right away if it is
        this.resync();
      },
      onStateChange: (state) => this.showState(state),
      onRefused: () => this.checkSession(),
    });
    this.sender = new Sender({ outbox: this.outbox, connection: this.connection,
      receive: (id, messages, source) => this.receive(id, messages, source),
      renderPending: (id) => this.renderPending(id),
      onRefused: (entry, why) => {
        this.depth.restoreReply(entry.conversation_id, entry.reply_to);
        this.composer.restore(entry.conversation_id, entry.body, why);
      } });
    this.history = new History({ store: this.store, view: this.view, outbox: this.outbox });
    this.sync = new Sync({ store: this.store, connection: this.connection,
      receive: (id, messages, source) => this.receive(id, messages, source) });
    this.refreshSoon = debounce(() => this.refreshConversations().catch(() => {}), 500);
    // Ticks: this page acks what it receives; the open conversation's receipts draw its own messages' ticks.
    this.receipts = new Receipts({ me, connection: this.connection, store: this.store,
      onChange: (id) => id === this.openId && this.view.redrawReceipts() });
    // Replies, @mention autocomplete, reactions and jumping to a quoted message (message-actions.js).
    this.depth = new MessageDepth({ app: this });
    // Search in the chat, and notifications: mute, sound, the browser's (search.js, notifications.js).
    this.search = new MessageSearch({ store: this.store, onOpenAt: (id, messageId) => this.openAt(id, messageId),
      isBlocked: (userId) => this.contacts.isBlocked(userId) });
    this.notifier = new Notifier({ app: this });
    this.bindSocketEvents();
    // Presence, typing and the end of this browser's session (docs/protocol.md "Presence and typing").
    this.presence = new PresenceBook({ connection: this.connection, onChange: (ids) => this.presenceChanged(ids) });
    this.presenceView = new PresenceView({ me, book: this.presence });
    this.typing = new Typing({ me, connection: this.connection, openId: () => this.openId,
      nameOf: (conversationId, userId) => this.nameOf(conversationId, userId),
      onChange: (id) => this.sidebar.typingChanged(id), isBlocked: (userId) => this.contacts.isBlocked(userId) });
    watchSessionEnd(this.connection);
    guardLeaving({ outbox: this.outbox, drafts: this.drafts, connection: this.connection,
      confirm: (title, text, button) => this.dialogs.confirm(title, text, button) });
    document.addEventListener("visibilitychange", () => this.markRead());
    window.addEventListener("focus", () => this.markRead());
  }

  async start() {
    await this.sender.restore(); // what an earlier page left unsent goes out once connected
    this.connection.start();
    this.contacts.load().catch((error) => toast(error));
    try {
      await this.refreshConversations();
    } catch (error) {
      toast(error);
    }
    const wanted = Number((window.location.hash.match(/^#c(\d+)$/) || [])[1]);
    if (wanted && this.store.get(wanted)) this.open(wanted);
  }

  bindSocketEvents() {
    const on = (event, handler) => this.connection.socket.on(event, handler);
    this.contacts.bind(on);
    this.receipts.bind(on);
    this.notifier.bind(on);
    on("message:new", ({ message }) => this.receive(message.conversation_id, [message], "live"));
    on("message:updated", ({ message }) => this.receive(message.conversation_id, [message], "live"));
    on("conversation:added", ({ conversation }) => {
      this.store.upsert(conversation);
      this.sidebar.render();
      // Messages sent before our sockets joined its room reached us only through history.
      if (this.store.threads.get(conversation.id)?.loaded) this.sync.run([conversation.id]);
    });
    on("conversation:updated", ({ conversation }) => {
      if (!this.store.get(conversation.id)) return;
      this.store.upsert(conversation);
      this.sync.check(conversation.id);
      this.sidebar.render();
      if (this.openId === conversation.id) this.showHeader(this.store.get(conversation.id));
    });
    on("conversation:removed", ({ conversation_id: id, reason }) => this.forget(id, reason));
    on("conversation:read", ({ conversation_id: id, last_read_seq: seq }) => {
      this.store.noteRead(id, seq);
      this.sidebar.render();
    });
    on("member:joined", ({ conversation_id: id, member }) => this.header.memberChanged(id, member));
    on("member:updated", ({ conversation_id: id, member }) => this.header.memberChanged(id, member));
    on("member:left", ({ conversation_id: id, user_id: userId }) => this.header.memberLeft(id, userId));
    // Someone who shares a conversation with us changed their name, picture or status (docs/protocol.md).
    on("user:updated", ({ user }) => this.personChanged(user));
    // The server lost its message bus (docs/protocol.md): live events may be missing until it says "ok",
    // then everything missed meanwhile is fetched by the usual resync.
    on("delivery_status", ({ state }) => {
      this.showDelivery(state);
      if (state === "ok") this.resync(); // sent only on recovery
    });
  }

  async refreshConversations() {
    const askedAt = this.store.mark();
    const { conversations } = await api("GET", "/conversations");
    for (const conversation of conversations) if (conversation.peer) rememberPerson(conversation.peer);
    const gone = this.store.replaceAll(conversations, askedAt);
    for (const id of gone) this.dropLocal(id);
    for (const id of this.store.threads.keys()) this.sync.check(id); // behind the listed last_revision
    if (gone.includes(this.openId)) this.close();
    this.sidebar.render();
    this.receipts.receivedListed(); // what is listed has reached this device
    if (this.openId) this.showHeader(this.store.get(this.openId));
  }

  /** A newer profile: every picture and name of that person on the page is redrawn. */
  personChanged(user) {
    rememberPerson(user);
    if (user.id === this.me.id) {
      Object.assign(this.me, user);
      $(".me-name").textContent = displayName(user);
    }
    this.sidebar.render();
    if (this.openId) this.showHeader(this.store.get(this.openId));
  }

  /** Their newest message in the open conversation (reports are about messages). */
  latestMessageOf(userId) {
    const thread = this.openId ? this.store.threads.get(this.openId) : null;
    const messages = thread ? thread.messages : [];
    for (let index = messages.length - 1; index >= 0; index -= 1) {
      const message = messages[index];
      if (message.sender?.id === userId && !message.removed && message.kind !== "system") return message;
    }
    return null;
  }

  /** A conversation created or joined from a dialog: list it and open it. */
  adopt(conversation) {
    this.store.upsert(conversation);
    this.sidebar.render();
    this.open(conversation.id);
  }

  /** Show a conversation: where its unread messages begin, at its newest end, or (`at`) at one message. */
  open(conversationId, { at = null } = {}) {
    const conversation = this.store.get(conversationId);
    if (!conversation) return;
    this.openId = conversationId;
    window.history.replaceState(null, "", `#c${conversationId}`);
    $("#app").classList.add("pane-open");
    $("#pane-empty").hidden = true;
    $("#conversation-view").hidden = false;
    this.sidebar.setActive(conversationId);
    this.composer.show(conversationId); // its own draft (drafts.js)
    this.depth.draft.show(conversationId);
    this.showHeader(conversation);
    this.header.loadMembers(conversationId);
    this.typing.render();
    this.receipts.load(conversationId);
    const thread = this.store.thread(conversationId);
    thread.dropWindow(); // a window far back from an earlier visit: opened at the newest messages again
    thread.seen = null;
    // Before drawing: "New messages" above the first unread one (not when opened at a message).
    if (at === null) this.divider.start(conversation);
    else this.divider.stop();
    this.view.show(conversation, thread, this.outbox.forConversation(conversationId));
    // Opened at a message (a search result): the window around it, with the divider if it shows there.
    const reveal = () => (at !== null ? this.history.jumpTo(thread, at)
      : this.divider.reveal(thread, { loadOlder: () => this.history.older(thread),
        openFrom: (seq) => this.history.from(thread, seq) })).then(() => this.markRead());
    if (thread.loaded) {
      reveal();
    } else {
      this.history.newest(thread).then((loaded) => {
        if (!loaded) return;
        this.sync.check(conversationId); // a live event that came while loading may lie beyond a gap
        if (this.openId === conversationId) reveal();
      });
    }
    // On phones a focused box pops the keyboard over the messages: only focus on wide screens. A narrow
    // one hides the list: the focus on it goes to the conversation's title, not to the page's body.
    if (window.matchMedia("(min-width: 761px)").matches) this.composer.focus();
    else if (lostWith($(".sidebar"))) $("#conversation-title").focus();
  }

  /** Open a conversation at one message (a search result): the window around it (history.js). */
  openAt(conversationId, messageId) {
    if (this.openId === conversationId) this.depth.jump(messageId);
    else this.open(conversationId, { at: messageId });
  }

  /** Title and members on top; archived conversations (and notices) take no new messages, nor does
   * a direct chat with someone the user blocked (until they unblock). */
  showHeader(conversation) {
    this.header.show(conversation);
    this.notifier.showFor(conversation);
    const blocked = conversation.kind === "direct" && Boolean(conversation.peer)
      && this.contacts.isBlocked(conversation.peer.id);
    $("#composer").hidden = Boolean(conversation.archived) || blocked;
    $("#read-only-note").hidden = !conversation.archived;
    $("#blocked-note").hidden = !blocked || Boolean(conversation.archived);
  }

  /** Someone was blocked or unblocked (here or in another tab): redraw the open conversation. */
  blocksChanged() {
    this.contacts.render();
    this.sidebar.render();
    this.search.blocksChanged();
    const conversation = this.openId ? this.store.get(this.openId) : null;
    const thread = this.openId ? this.store.threads.get(this.openId) : null;
    if (!conversation || !thread) return;
    this.showHeader(conversation);
    this.view.show(conversation, thread, this.outbox.forConversation(this.openId));
  }

  /** Someone's presence changed: their dot in the sidebar and the contacts list, and the open header, follow. */
  presenceChanged(userIds) {
    this.sidebar.render();
    if ([...userIds].some((id) => this.contacts.contacts.has(id))) this.contacts.render();
    this.presenceView.changed(userIds);
    if (this.groupPanel.dialog.open) this.groupPanel.render();
  }

  /** The other people of the listed direct chats: their presence is asked for after every connect. */
  directPeerIds() {
    return [...this.store.conversations.values()].map((conversation) => conversation.peer?.id).filter(Boolean);
  }

  /** The open conversation's members have loaded, and a drawn text still mentions someone the page knows
   * no username of (they left, and nothing of theirs is loaded): their profiles, each asked for once a
   * page, then those texts drawn again with their names highlighted, as Slack still highlights a mention
   * of someone who left. A profile not found (a closed account) leaves the name as text. */
  async lookUpMentioned(userIds = this.view.unknownMentions()) {
    const asked = [...userIds].filter((userId) => !this.mentionLookups.has(userId));
    if (!asked.length) return;
    for (const userId of asked) this.mentionLookups.add(userId);
    const found = await Promise.all(asked.map((userId) => api("GET", `/users/${userId}`)
      .then(({ user }) => user, () => null)));
    for (const user of found) if (user) rememberPerson(user);
    if (found.some(Boolean)) this.view.redrawMentions();
  }

  /** A name to show for a member of a conversation (typing indicators, in the open one and the sidebar's). */
  nameOf(conversationId, userId) {
    const person = this.header.members?.get(userId) || (this.store.get(conversationId)?.peer?.id === userId
      ? this.store.get(conversationId).peer : null)
      || this.store.threads.get(conversationId)?.messages.find((message) => message.sender?.id === userId)?.sender;
    return person ? displayName(person) : knownName(userId) || t("Someone");
  }

  close() {
    const entry = lostWith($("#conversation-view")) ? this.openId : null; // its back button, now hidden
    this.presenceView.closed();
    this.groupPanel.closed();
    this.divider.stop();
    this.openId = null;
    this.typing.render();
    window.history.replaceState(null, "", window.location.pathname);
    $("#app").classList.remove("pane-open");
    $("#conversation-view").hidden = true;
    $("#pane-empty").hidden = false;
    this.view.clear();
    this.composer.show(null);
    this.depth.draft.show(null);
    this.sidebar.setActive(null);
    if (entry) $(`#conversation-list .conversation[data-conversation-id="${entry}"] button`)?.focus();
  }

  /** Messages from an event, a sync answer or an ack: each lands once, in seq order. */
  receive(conversationId, messages, source) {
    const conversation = this.store.get(conversationId);
    if (!conversation) {
      this.refreshSoon(); // an event for a conversation we have not listed yet
      return;
    }
    const thread = this.store.threads.get(conversationId);
    // Counted unread unless the user is looking at the newest end of it (unread.js marks it read then).
    const watching = this.openId === conversationId && pageIsSeen() && this.view.pinned;
    const changed = [];
    const arrived = []; // new to the page, as they happen: said to screen readers
    let followOwn = false;
    const settled = this.settleOwn(messages);
    for (const message of messages) {
      // An unread message changed that this page does not hold: the server's counts (recount).
      if (this.store.noteMessage(message, { counted: !watching }) === "recount") this.refreshSoon();
      this.search.noteChanged(message); // a search result showing it follows (search.js)
      this.depth.draft.follow(message); // and so does a reply being written to it (reply-draft.js)
      const applied = thread ? thread.apply(message) : null;
      if (applied) {
        changed.push(message);
        if (applied === "inserted" && source === "live") arrived.push(message);
        if (applied === "replaced") changed.push(...thread.requote(message, quoteOf)); // replies show it
        if (message.sender?.id === this.me.id && message.seq === thread.newestSeq) followOwn = true;
      }
    }
    // Messages of others reached this device: ack them (delivered ticks, receipts.js).
    const fromOthers = messages.filter((message) => message.sender?.id !== this.me.id);
    if (fromOthers.length) this.receipts.received(conversationId, Math.max(...fromOthers.map((m) => m.seq)));
    // A revision applied above the watermark leaves a gap: the changes since it fill it.
    if (thread && source !== "sync") this.sync.check(conversationId);
    if (thread && this.view.isShowing(thread)) {
      if (settled) this.renderPending(conversationId);
      this.view.update(changed, { follow: followOwn });
      this.view.announce(arrived);
    }
    this.sidebar.render();
    if (this.openId === conversationId) this.markRead();
  }

  /** Our own stored messages replace their pending copies (matched by client_id). */
  settleOwn(messages) {
    let settled = false;
    for (const message of messages) {
      if (message.client_id && message.sender?.id === this.me.id) {
        settled = this.outbox.settle(message.client_id) || settled;
      }
    }
    return settled;
  }

  renderPending(conversationId) {
    const thread = this.store.threads.get(conversationId);
    if (thread && this.view.isShowing(thread)) this.view.renderPending(this.outbox.forConversation(conversationId));
  }

  compose(body) {
    if (!this.openId) return false;
    const thread = this.store.threads.get(this.openId);
    if (thread?.detached) this.history.latest(thread); // what you send goes under the newest messages
    this.sender.compose(this.openId, body, this.depth.takeReply(this.openId));
    this.view.scrollToBottom();
    return true;
  }

  /** The server refused the socket: a lost session goes to the login page (api() does that on 401). */
  async checkSession() {
    try {
      await api("GET", "/me");
    } catch {
      return;
    }
    setTimeout(() => this.connection.socket.connect(), SESSION_RETRY_MS); // still logged in: try again
  }

  /** After every (re)connect: fresh list, then what changed in each loaded conversation. */
  async resync() {
    this.contacts.load().catch(() => {}); // requests, contacts and presence missed while away
    try {
      await this.refreshConversations();
      this.presence.query(this.directPeerIds()); // changes while we were away were not told
      if (this.openId) {
        this.receipts.load(this.openId); // receipts missed while away
        this.header.loadMembers(this.openId); // and who joined, left or changed role (names, @mentions)
        // and who came and went: its next poll is up to a minute away (presence-view.js)
        if (this.store.get(this.openId)?.kind === "group") this.presence.conversation(this.openId);
      }
    } catch (error) {
      toast(error);
    }
    await this.sync.all();
    if (!this.connection.connected) return;
    this.sender.flush();
    this.markRead();
  }

  /** Tell the server (and so the user's other tabs) what the user has seen: the messages scrolled into
   * view of the open conversation, in a visible tab of a focused window (unread.js). */
  markRead() {
    const id = this.openId;
    const thread = id ? this.store.threads.get(id) : null;
    const conversation = id ? this.store.get(id) : null;
    if (!thread?.loaded || !conversation || !pageIsSeen() || this.divider.revealing) return;
    const readUpTo = conversation.membership?.last_read_seq || 0;
    const visible = visibleSeqs(this.view.scroller, this.view.list);
    const seq = Math.min(thread.newestSeq, readPosition(thread, visible, readUpTo, this.view.isNearBottom()));
    if (seq > readUpTo && this.connection.connected) {
      this.connection.emit("conversation:read", { conversation_id: id, seq }, () => {});
      this.store.noteRead(id, seq);
      this.sidebar.render();
    }
  }

  async editMessage(message) {
    this.dialogs.edit(message, async (body) => {
      const ack = await this.ask("message:edit", { message_id: message.id, body });
      this.receive(ack.message.conversation_id, [ack.message], "ack");
    });
  }

  async deleteMessage(message) {
    if (!(await this.dialogs.confirm(t("Delete message?"), t("It will show as deleted for everyone."), t("Delete")))) return;
    try {
      const ack = await this.ask("message:delete", { message_id: message.id });
      this.receive(ack.message.conversation_id, [ack.message], "ack");
    } catch (error) {
      toast(error);
    }
  }

  /** An acked socket request that throws the server's error message. */
  async ask(event, payload) {
    if (!this.connection.connected) throw new Error(t("You are offline; try again when the connection is back."));
    let ack;
    try {
      ack = await this.connection.request(event, payload);
    } catch {
      throw new Error(t("The server did not answer; try again."));
    }
    if (!ack?.ok) throw refusal(ack, t("That did not work."));
    return ack;
  }

  /** Leave a group (the header's button, the group panel's): `report` shows a refusal. */
  async leave(conversationId, report = toast) {
    const conversation = this.store.get(conversationId);
    if (!conversation) return;
    // The open group's: the last owner is told who takes over (group-panel.js), from its members as they are
    // now: an operator's ban of one of them since they were loaded is not told to the group.
    if (conversationId === this.openId && conversation.membership?.role === "owner") {
      await this.header.loadMembers(conversationId);
    }
    const confirmed = await this.dialogs.confirm(t("Leave {title}?", { title: conversation.title }),
      this.groupPanel.leaveWarning(), t("Leave group"));
    if (!confirmed) return;
    try {
      await api("POST", `/groups/${conversationId}/leave`);
      this.forget(conversationId, "left");
    } catch (error) {
      report(error.message);
    }
  }

  /** The user is no longer a member: the conversation leaves the page. */
  forget(conversationId, reason) {
    const conversation = this.store.get(conversationId);
    if (!conversation) return;
    this.store.remove(conversationId);
    this.dropLocal(conversationId);
    if (this.openId === conversationId) this.close();
    this.sidebar.render();
    const title = conversation.title || t("the conversation");
    toast(reason === "left" ? t("You left {title}.", { title }) : t("You are no longer a member of {title}.", { title }), "info");
  }

  dropLocal(conversationId) {
    this.outbox.dropConversation(conversationId);
    this.sync.forget(conversationId);
  }

  /** Show the "live updates are delayed" banner while the server's delivery is degraded. */
  showDelivery(state) {
    $("#delivery-banner").hidden = state !== "degraded";
  }

  showState(state) {
    const banner = $("#offline-banner");
    banner.hidden = state === "online";
    banner.dataset.state = state;
    banner.textContent = STATE_NOTES[state] || "";
  }
}
