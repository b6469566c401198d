"""Contacts, contact requests, blocks and privacy settings (actions.contacts, actions.blocks,
actions.privacy; who may do what with them is decided in actions.access)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

AUDIENCES = ("everyone", "contacts", "nobody")  # who sees my last-seen time, my read receipts
DIRECT_CHAT_AUDIENCES = ("everyone", "contacts")  # who may start a direct chat with me


class ContactRequest(db.Model):
    """A pending request: accepted, it becomes two Contact rows; declined or cancelled, it is deleted."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    requester = relationship("User", foreign_keys=[requester_id])
    recipient = relationship("User", foreign_keys=[recipient_id])

    # AUTOINCREMENT on SQLite: a declined request's id is never given to the next one (migration 0021).
    __table_args__ = (UniqueConstraint("requester_id", "recipient_id", name="uq_contact_requests_pair"),
                      CheckConstraint("requester_id <> recipient_id", name="not_to_self"),
                      {"sqlite_autoincrement": True})


class Contact(db.Model):
    """One side of a contact: both people hold a row (user -> contact), made and removed together."""

    __tablename__ = "contacts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    contact = relationship("User", foreign_keys=[contact_id])


class Block(db.Model):
    """`blocker_id` blocked `blocked_id` (one way: the other may block back). `last_message_id` is the
    newest message stored when the block was made (0: none; actions.blocks reads it under the pair's lock):
    messages up to it count as sent before the block (delivered positions stop there,
    actions.access.delivered_caps), whatever the clocks of the servers say (migration 0027)."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_message_id: Mapped[int] = mapped_column(Integer, nullable=False)

    blocked = relationship("User", foreign_keys=[blocked_id])


class PrivacySettings(db.Model):
    """A user's privacy choices; no row means the defaults (everyone, everywhere)."""

    __tablename__ = "privacy_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    direct_chats: Mapped[str] = mapped_column(String(16), nullable=False, default="everyone")
    last_seen: Mapped[str] = mapped_column(String(16), nullable=False, default="everyone")
    read_receipts: Mapped[str] = mapped_column(String(16), nullable=False, default="everyone")
