"""Named test users and groups, made through the real actions, and the privacy settings around them."""
from __future__ import annotations

from actions.accounts import register_user
from actions.groups import create_group
from extensions import db
from models import Block, Contact, Conversation, PrivacySettings, User

PASSWORD = "correct horse battery"


def make_user(username: str, role: str = "user", password: str = PASSWORD) -> User:
    return register_user(username, password, display_name=username.capitalize(), role=role)


def make_group(owner: User, name: str = "General", members: list[User] = (),
               visibility: str = "private") -> Conversation:
    return create_group(owner, name, "", visibility, [member.id for member in members])


def privacy_neighbours(alice: User, bob: User, carol: User, dave_hides: str) -> tuple[User, User, User]:
    """Dave, Erin and Frank around Alice: she blocked Bob, Carol blocked her, Dave shows his `dave_hides`
    ("last_seen" or "read_receipts") to nobody, Erin and she are contacts, Frank is a stranger."""
    dave, erin, frank = make_user("dave"), make_user("erin"), make_user("frank")
    db.session.add_all([Block(blocker_id=alice.id, blocked_id=bob.id, last_message_id=0),
                        Block(blocker_id=carol.id, blocked_id=alice.id, last_message_id=0),
                        PrivacySettings(user_id=dave.id, **{"direct_chats": "everyone", "last_seen": "everyone",
                                                            "read_receipts": "everyone", dave_hides: "nobody"}),
                        Contact(user_id=alice.id, contact_id=erin.id), Contact(user_id=erin.id, contact_id=alice.id)])
    db.session.commit()
    return dave, erin, frank


def set_privacy(user: User, last_seen: str = "everyone", read_receipts: str = "everyone") -> None:
    """Whom `user` shows their last-seen time and read receipts (direct chats from everyone)."""
    settings = db.session.get(PrivacySettings, user.id) or PrivacySettings(user_id=user.id)
    settings.direct_chats, settings.last_seen, settings.read_receipts = "everyone", last_seen, read_receipts
    db.session.add(settings)
    db.session.commit()


def unconfirm(*users: User) -> None:
    """Accounts never confirmed that are in conversations all the same: made before such accounts were
    hidden from everyone (models.user.User.findable; nobody finds or adds them now), or sent an operator's
    notice. The purge of accounts never confirmed still takes them out of those."""
    for user in users:
        user.confirmed_at = None
    db.session.flush()
