"""Web Push subscriptions: one row per browser that asked to be notified (actions.web_push)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.time import utcnow


class PushSubscription(db.Model):
    """The push service's endpoint and the browser's keys (PushSubscription.toJSON())."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    # The push service's URL is the subscription's identity: one browser, one row.
    endpoint: Mapped[str] = mapped_column(String(2048), nullable=False, unique=True)
    p256dh: Mapped[str] = mapped_column(String(128), nullable=False)  # the browser's ECDH key, base64url
    auth: Mapped[str] = mapped_column(String(64), nullable=False)  # its authentication secret, base64url
    # False: notifications say "New message" and the conversation, never the text or the sender.
    include_text: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    # The login that subscribed it (None: a bearer token's, or stored before 0024): ending that login
    # (logout, revoked, timed out, signed in elsewhere) forgets it (actions.web_push.forget_subscriptions).
    login_session_id: Mapped[str | None] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"),
                                                         index=True)
    # The bearer token that subscribed it (None: a login's, or stored before 0025): revoking that token
    # forgets it (actions.web_push.forget_subscriptions), and an expired one's is not pushed.
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    # The language of the page (or API call) that subscribed: the notification's own words ("New message")
    # are in it when the account chose none (i18n.user_language). None: stored before 0025 (English).
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    # AUTOINCREMENT on SQLite: a forgotten subscription's id, which queued push jobs name, never goes to
    # the next browser that subscribes, someone else's (migration 0022).
    __table_args__ = {"sqlite_autoincrement": True}
