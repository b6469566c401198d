"""Conversations (groups and direct chats) and who belongs to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

KINDS = ("group", "direct")
VISIBILITIES = ("public", "private")
MEMBER_ROLES = ("owner", "admin", "member")


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    visibility: Mapped[str] = mapped_column(String(8), nullable=False, default="private")
    # "<smaller user id>:<larger user id>" for direct chats: one conversation per pair.
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A group deleted (by its owner or an operator), archived until its job removes it: set once, so a
    # second deletion queues nothing and nobody unarchives it meanwhile (actions.group_admin).
    deleting_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Counters, advanced atomically by actions.messages: `last_seq` numbers messages
    # (1, 2, 3, ...); `last_revision` numbers every change (new, edited, deleted,
    # hidden message) and is what clients resync from.
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    avatar_key: Mapped[str | None] = mapped_column(String(255))  # a group's picture (actions.profiles)

    memberships = relationship("Membership", back_populates="conversation", cascade="all, delete-orphan")

    # SQLite would give a deleted group's id to the next conversation (the largest id + 1): pages keep
    # drafts and unsent messages by conversation id and each process orders deliveries by it, so an id
    # is never given twice (PostgreSQL's sequences never do).
    __table_args__ = (Index("ix_conversations_kind_visibility", "kind", "visibility"), {"sqlite_autoincrement": True})

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.kind} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(8), nullable=False, default="member")
    joined_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_read_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Acked by one of the member's clients (delivered ticks); never below last_read_seq.
    last_delivered_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    muted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    conversation = relationship("Conversation", back_populates="memberships")
    user = relationship("User")

    __table_args__ = (UniqueConstraint("conversation_id", "user_id", name="uq_memberships_conversation_user"),)
