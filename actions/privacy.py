"""Privacy settings: who may start a direct chat with me, who sees my last-seen time (and
whether I am online) and my read receipts. Enforced in actions.access; changing last seen tells
my contacts what they may now see (actions.presence), changing read receipts tells the members of
my conversations whose view of my read positions changed (actions.receipts)."""
from __future__ import annotations

from actions.access import privacy_of
from actions.errors import InvalidInput
from actions.presence import announce_presence
from actions.receipts import receipt_views
from actions.validation import check_choice
from events import atomic, queue_event
from events.facts import PrivacyChanged
from extensions import db
from models import PrivacySettings, User
from models.contact import AUDIENCES, DIRECT_CHAT_AUDIENCES

CHOICES = {"direct_chats": DIRECT_CHAT_AUDIENCES, "last_seen": AUDIENCES, "read_receipts": AUDIENCES}


def get_privacy(user: User) -> PrivacySettings:
    return privacy_of(user.id)


@atomic()
def update_privacy(user: User, changes: dict) -> PrivacySettings:
    """Change some or all of the settings; an unknown name or value changes nothing. Settings already so
    change nothing, and tell nobody (no privacy:updated)."""
    unknown = sorted(set(changes) - set(CHOICES))
    if unknown or not changes:
        raise InvalidInput("invalid_privacy", "Set one or more of direct_chats (everyone, contacts), "
                                              "last_seen and read_receipts (everyone, contacts, nobody).")
    checked = {name: check_choice(value, name, CHOICES[name]) for name, value in changes.items()}
    settings = privacy_of(user.id)
    if all(getattr(settings, name) == value for name, value in checked.items()):
        return settings  # nothing changed: nothing stored, nobody told (as conversation:muted)
    if settings not in db.session:
        db.session.add(settings)
    last_seen_before = settings.last_seen
    receipts_change = checked.get("read_receipts", settings.read_receipts) != settings.read_receipts
    views_before = receipt_views(user.id) if receipts_change else None  # to tell those whose view changes
    for name, value in checked.items():
        setattr(settings, name, value)
    db.session.flush()
    queue_event(PrivacyChanged(user.id))
    if settings.last_seen != last_seen_before:
        announce_presence(user.id)
    if views_before is not None:
        views_before.announce()
    return settings
