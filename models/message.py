"""Messages. Ordered by a per-conversation `seq`; every change bumps `revision`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

KINDS = ("text", "image", "file", "voice", "video", "system")
# A message deleted by its author or hidden by an operator. The partial index below holds these
# only (few, and none at insert time: sending does not pay for it); a query that counts removed
# messages must say exactly this to use it (actions.messages.removed_message).
REMOVED = "deleted_at IS NOT NULL OR hidden_at IS NOT NULL"


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    # None for system messages (broadcasts, "X joined").
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="text")
    # Searched through an index no model declares (migration 0004, models/search_index.py).
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Unique: a file is sent in one message only (checked in actions.files, guaranteed here).
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"),
                                                      unique=True, index=True)
    # The sender's idempotency id: a retry with the same one returns this message.
    client_id: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Issue 9 C: the message this one answers (same conversation); its quote is rendered from it.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    # `@all` in a group (its admins only): every member is mentioned (rows below, for the counts).
    mentions_all: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # A group's membership note ("Alice added Bob"), as JSON: what happened and to whom (actions.group_notes);
    # `body` holds its English sentence for clients that do not read it. Null for every other message.
    system_event: Mapped[str | None] = mapped_column(Text)

    sender = relationship("User", foreign_keys=[sender_id])
    attachment = relationship("Attachment", foreign_keys=[attachment_id])
    # Loaded with the page of messages that needs them (one query each), never one by one.
    reply_to = relationship("Message", remote_side=[id], foreign_keys=[reply_to_id], lazy="selectin")
    mentions = relationship("MessageMention", lazy="selectin", cascade="all, delete-orphan",
                            order_by="MessageMention.user_id")
    reactions = relationship("MessageReaction", lazy="selectin", cascade="all, delete-orphan",
                             order_by="(MessageReaction.created_at, MessageReaction.user_id)")

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("sender_id", "client_id", name="uq_messages_sender_client_id"),
        Index("ix_messages_conversation_revision", "conversation_id", "revision"),
        Index("ix_messages_created_at", "created_at"),
        # Unread counts: the messages after a read position, less the removed ones among them (migration 0020).
        Index("ix_messages_removed", "conversation_id", "seq",
              sqlite_where=text(REMOVED), postgresql_where=text(REMOVED)),
        # AUTOINCREMENT on SQLite: a deleted group's messages never lend their ids to the next ones
        # (queued push jobs, clients and audit entries name messages by id; migration 0022).
        {"sqlite_autoincrement": True},
    )

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None or self.hidden_at is not None

    @property
    def is_erased(self) -> bool:
        """Deleted with nothing of it left: no text, no file (an operator's erasure: actions.moderation)."""
        return self.deleted_at is not None and not self.body and (
            self.attachment is None or self.attachment.status == "deleted")


class MessageMention(db.Model):
    """A member mentioned by a message (`@username`, or everyone with `@all`): a reference by id."""

    __tablename__ = "message_mentions"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class MessageReaction(db.Model):
    """One person's emoji on a message; a person may put several different ones."""

    __tablename__ = "message_reactions"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
