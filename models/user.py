"""Accounts: people who chat, and operators (role `admin`: actions.access decides what that allows)."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, ColumnElement, DateTime, Integer, String, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS, check_password_hash, generate_password_hash

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
    # The interface language the user chose on /settings (i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A timed suspension (actions.user_admin.suspend_user): the account is inactive until then, and
    # opens again at the first login after it (actions.accounts.check_account_active); None: not
    # suspended (an inactive account without it is deactivated for good). The reason is shown to its owner.
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    # Registration by email or phone: None until the code sent there is entered (the account can
    # then only confirm). email/phone hold confirmed addresses (or ones an operator entered);
    # an address waiting for its code is in account_codes.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The profile (actions.profiles): the uploaded picture's storage key (None: the initials one),
    # a status line, and an IANA time zone name (None: not given).
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    status_text: Mapped[str] = mapped_column(String(140), nullable=False, default="", server_default="")
    time_zone: Mapped[str | None] = mapped_column(String(64))

    # AUTOINCREMENT on SQLite: a purged unconfirmed account's id, which direct chats' keys, membership
    # notes and audit entries keep, never goes to the next account (migration 0022).
    __table_args__ = {"sqlite_autoincrement": True}

    # Hashing takes about 80 ms of CPU (scrypt): on a pool of native threads, never on the event loop.
    def set_password(self, password: str) -> None:
        # PASSWORD_HASH_METHOD: scrypt (memory-hard) unless the tests asked for a fast one.
        self.password_hash = run_off_loop(generate_password_hash, password, current_app.config["PASSWORD_HASH_METHOD"],
                                          **_hashing_pool())

    def check_password(self, password: str) -> bool:
        return run_off_loop(check_password_hash, self.password_hash, password, **_hashing_pool())

    def password_needs_rehash(self) -> bool:
        """Whether the stored hash was made with another method or other parameters than
        PASSWORD_HASH_METHOD now asks for (checked at login, when the password is at hand)."""
        return self.password_hash.split("$", 1)[0] != full_hash_method(current_app.config["PASSWORD_HASH_METHOD"])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The one rule of who others may find and start talking to (the user search, a profile or picture
    # by id, contact requests, direct chats, adding to a group, presence, blocks of unknown people):
    # an active account (not deactivated, not suspended) whose address is confirmed. An account
    # nobody can use yet or any more is answered as none (404 `user_not_found`); conversations it
    # is in keep its name. In Python on a loaded row, and as a condition in a query (`User.findable`).
    @hybrid_property
    def findable(self) -> bool:
        return self.active and self.confirmed_at is not None

    @findable.inplace.expression
    @classmethod
    def _findable_condition(cls) -> ColumnElement[bool]:
        return and_(cls.active.is_(True), cls.confirmed_at.is_not(None))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def full_hash_method(method: str) -> str:
    """The method as werkzeug writes it at the head of a hash, its defaults filled in:
    "scrypt" is "scrypt:32768:8:1", "pbkdf2" is "pbkdf2:sha256:<werkzeug's iterations>"."""
    name, *parameters = method.split(":")
    if name == "scrypt":
        defaults = ["32768", "8", "1"]
    else:
        defaults = ["sha256", str(DEFAULT_PBKDF2_ITERATIONS)]
    return ":".join([name, *parameters, *defaults[len(parameters):]])


def check_password_of_nobody(password: str) -> bool:
    """Hash `password` as a login with an existing account would, for a name that has none: an
    unknown name takes as long to refuse as a wrong password (no telling which names exist)."""
    run_off_loop(check_password_hash, _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password,
                 **_hashing_pool())
    return False


@functools.cache
def _dummy_hash(method: str) -> str:
    return run_off_loop(generate_password_hash, secrets.token_hex(16), method, **_hashing_pool())


def _hashing_pool() -> dict:
    config = current_app.config
    return {"threads": config["PASSWORD_HASH_THREADS"], "waiting": config["PASSWORD_HASH_WAITING"]}
