"""Accounts: people who chat, and operators (role `admin`: actions.access decides what that allows)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.time import utcnow
from offload import run_off_loop

ROLES = ("user", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased: usernames are unique regardless of case.
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="user")
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Hashing takes about 80 ms of CPU (scrypt): on a pool of native threads, never on the event loop.
    def set_password(self, password: str) -> None:
        # PASSWORD_HASH_METHOD: scrypt (memory-hard) unless the tests asked for a fast one.
        self.password_hash = run_off_loop(generate_password_hash, password, current_app.config["PASSWORD_HASH_METHOD"],
                                          **_hashing_pool())

    def check_password(self, password: str) -> bool:
        return run_off_loop(check_password_hash, self.password_hash, password, **_hashing_pool())

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def _hashing_pool() -> dict:
    config = current_app.config
    return {"threads": config["PASSWORD_HASH_THREADS"], "waiting": config["PASSWORD_HASH_WAITING"]}
