"""actions.presence.announce_presence_changes and actions.access.presence_viewers: who is told what
(facts captured at commit, no server)."""
from __future__ import annotations

import pytest

from actions.access import may_see_presence, presence_audiences, presence_viewers, visible_presences
from actions.presence import announce_presence_changes
from events.facts import PresenceBatch
from extensions import db
from models import Contact
from tests.factories import make_group, make_user, privacy_neighbours, set_privacy


def test_members_and_contacts_are_told_once_each_strangers_never(app, alice, bob, carol, group, captured_events):
    dave, erin = make_user("dave"), make_user("erin")
    db.session.add_all([Contact(user_id=dave.id, contact_id=alice.id), Contact(user_id=alice.id, contact_id=dave.id)])
    db.session.commit()
    captured_events.clear()
    announce_presence_changes({alice.id: True, bob.id: False})
    (batch,) = captured_events
    assert isinstance(batch, PresenceBatch)
    assert dict(batch.changes) == {alice.id: True, bob.id: False}
    views = dict(batch.views)
    assert erin.id not in views and set(views[dave.id]) == {alice.id}
    assert set(views[bob.id]) == {alice.id} and set(views[alice.id]) == {bob.id}  # never about oneself
    assert carol.id not in views  # not in the group, not a contact


def test_both_directions_are_last_seen_now_in_one_batch(app, alice, bob, carol):
    """The connect handler writes no last-seen time: coming online (as going offline) is when the
    tracker's batch writes it."""
    announce_presence_changes({alice.id: True, bob.id: False})
    db.session.expire_all()
    assert alice.last_seen_at is not None and bob.last_seen_at is not None
    assert carol.last_seen_at is None  # not in the batch


def test_the_bulk_rule_is_the_single_one(app, alice, bob, carol):
    dave, erin, frank = privacy_neighbours(alice, bob, carol, dave_hides="last_seen")
    viewers = [alice.id, bob.id, carol.id, dave.id, erin.id, frank.id]
    for audience in ("everyone", "contacts", "nobody"):
        set_privacy(alice, last_seen=audience)
        expected = {viewer for viewer in viewers if may_see_presence(viewer, alice.id)}
        assert presence_viewers(alice.id, viewers) == expected, audience
        for viewer in viewers:  # and the other way round: whose presence each one may see
            assert visible_presences(viewer, viewers) == {
                subject for subject in viewers if may_see_presence(viewer, subject)}, (audience, viewer)
    assert expected == {alice.id}


def test_the_batch_rule_is_the_single_one_for_every_subject(app, alice, bob, carol):
    """presence_audiences (a presence batch: many subjects at once) tells each subject's viewers
    exactly as presence_viewers does one subject's: blocks either way, hidden own settings, contacts."""
    dave, erin, frank = privacy_neighbours(alice, bob, carol, dave_hides="last_seen")
    people = [alice.id, bob.id, carol.id, dave.id, erin.id, frank.id]
    db.session.add(Contact(user_id=frank.id, contact_id=bob.id))
    db.session.commit()
    for audience in ("everyone", "contacts", "nobody"):
        set_privacy(alice, last_seen=audience)
        set_privacy(frank, last_seen="contacts" if audience != "contacts" else "everyone")
        viewers_of = {subject: people[:index] + people[index + 1:] + [subject] for index, subject in enumerate(people)}
        assert presence_audiences(viewers_of) == {
            subject: presence_viewers(subject, viewers) for subject, viewers in viewers_of.items()}, audience
    assert presence_audiences({}) == {}


@pytest.mark.parametrize("app_settings", [{"PRESENCE_GROUP_LIMIT": 2}])
def test_groups_past_the_limit_are_not_told(app, alice, bob, carol, captured_events):
    make_group(alice, "Big", [bob, carol])  # three members: past the limit
    make_group(alice, "Pair", [bob])  # two: told
    captured_events.clear()
    announce_presence_changes({carol.id: True, alice.id: False})
    (batch,) = captured_events
    assert dict(batch.views) == {bob.id: (alice.id,)}  # carol shares only the big group
