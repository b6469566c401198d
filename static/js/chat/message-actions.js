// What the reader does with one message beyond editing: reply to it (reply-draft.js), mention
// members while writing (mention-complete.js), react to it, and jump to the message a reply quotes,
// loading the history around it (history.js; docs/protocol.md "Replies, mentions and reactions").

import { $, toast } from "./dom.js";
import { MentionComplete } from "./mention-complete.js";
import { ReplyDraft } from "./reply-draft.js";

export class MessageDepth {
  constructor({ app }) {
    this.app = app;
    const input = $("#composer-input");
    this.draft = new ReplyDraft({ input, drafts: app.drafts });
    this.mentions = new MentionComplete({
      input,
      // Deactivated, suspended or unconfirmed members (`active` false) are nobody to mention, as in Slack.
      membersOf: () => [...(app.header.members?.values() || [])]
        .filter((member) => member.id !== app.me.id && member.active !== false),
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

  /** A refused message goes back to the composer with the message it answered (if still loaded, and not
   * removed since: the refusal may be just that, `message_removed`). */
  restoreReply(conversationId, messageId) {
    const message = messageId ? this.app.store.threads.get(conversationId)?.byId.get(messageId) : null;
    if (!message || message.removed || this.app.drafts.get(conversationId).reply) return;
    if (this.app.openId === conversationId) this.draft.start(conversationId, message);
    else this.app.drafts.saveReply(conversationId, message);
  }

  async toggleReaction(message, emoji, mine) {
    try {
      const ack = await this.app.ask(mine ? "reaction:remove" : "reaction:add", { message_id: message.id, emoji });
      this.app.receive(ack.message.conversation_id, [ack.message], "ack");
    } catch (error) {
      toast(error);
    }
  }

  /** Show a message of the open conversation (a quoted one, a search result), loading the history around it. */
  async jump(messageId) {
    const thread = this.app.openId ? this.app.store.threads.get(this.app.openId) : null;
    if (thread?.loaded) await this.app.history.jumpTo(thread, messageId);
  }
}
