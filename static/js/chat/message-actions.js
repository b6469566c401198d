// What the reader does with one message beyond editing: reply to it (reply-draft.js), mention
// members while writing (mention-complete.js), react to it, and jump to the message a reply quotes,
// loading older history until it is on the page (docs/protocol.md "Replies, mentions and reactions").

import { $, toast } from "./dom.js";
import { MentionComplete } from "./mention-complete.js";
import { ReplyDraft } from "./reply-draft.js";
import { t } from "../i18n.js";

const MAX_PAGES_TO_JUMP = 40; // 2,000 messages back at most; further, the quote says so

export class MessageDepth {
  constructor({ app }) {
    this.app = app;
    const input = $("#composer-input");
    this.draft = new ReplyDraft({ input });
    this.mentions = new MentionComplete({
      input,
      membersOf: () => [...(app.header.members?.values() || [])].filter((member) => member.id !== app.me.id),
      canMentionAll: () => {
        const conversation = app.openId ? app.store.get(app.openId) : null;
        return conversation?.kind === "group" && ["owner", "admin"].includes(conversation.membership?.role);
      },
    });
  }

  reply(message) {
    if (!this.app.openId) return;
    this.draft.start(this.app.openId, message);
  }

  /** The message to answer with the next send in this conversation (then forgotten). */
  takeReply(conversationId) {
    const replyTo = this.draft.replyTo(conversationId);
    if (replyTo) this.draft.clear();
    return replyTo;
  }

  async toggleReaction(message, emoji, mine) {
    try {
      const ack = await this.app.ask(mine ? "reaction:remove" : "reaction:add", { message_id: message.id, emoji });
      this.app.receive(ack.message.conversation_id, [ack.message], "ack");
    } catch (error) {
      toast(error.message);
    }
  }

  /** Scroll to a quoted message of the open conversation, loading older pages until it is there. */
  async jump(messageId) {
    const thread = this.app.openId ? this.app.store.threads.get(this.app.openId) : null;
    if (!thread) return;
    for (let page = 0; !thread.byId.has(messageId) && thread.hasMore && page < MAX_PAGES_TO_JUMP; page += 1) {
      const floor = thread.floorSeq;
      await this.app.history.older(thread);
      if (thread.floorSeq === floor) break; // nothing more came (an error was shown)
    }
    if (!this.app.view.showMessage(messageId)) toast(t("The original message is not available."));
  }
}
