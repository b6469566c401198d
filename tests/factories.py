"""Named test users and groups, made through the real actions."""
from __future__ import annotations

from actions.accounts import register_user
from actions.groups import create_group
from models import Conversation, User

PASSWORD = "correct horse battery"


def make_user(username: str, role: str = "user", password: str = PASSWORD) -> User:
    return register_user(username, password, display_name=username.capitalize(), role=role)


def make_group(owner: User, name: str = "General", members: list[User] = (),
               visibility: str = "private") -> Conversation:
    return create_group(owner, name, "", visibility, [member.id for member in members])
