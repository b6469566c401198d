"""Replies, mentions and reactions at the action level: exactly the events each produces, what is
stored, and refusals that change nothing (the live behaviour: tests/integration/test_message_depth_live.py)."""
from __future__ import annotations

import pytest

from actions.direct import open_direct_conversation
from actions.errors import ActionError
from actions.mentions import mentioned_names
from actions.messages import edit_message, message_history_around, send_message
from actions.rate_limits import MemoryCounters
from actions.reactions import add_reaction, remove_reaction
from actions.validation import check_emoji
from events.facts import ConversationRead, MessageChanged, MessageCreated
from tests.factories import make_group, make_user
from tests.helpers import database_rows


def test_mention_names_are_read_as_the_server_documents(app):
    # A trailing "." or "-" ends a sentence, or belongs to the name (usernames may end so): both are read.
    assert mentioned_names("hi @Bob, @carol. and me@alice.example @x") == {"bob", "carol", "carol."}
    assert mentioned_names("@all: lunch") == {"all"}
    # In a link's path a name is the link's (a profile page), not a mention: the page shows it as link text.
    assert mentioned_names("see https://mastodon.social/@bob and youtube.com/@carol/videos") == set()


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👨‍👩‍👧", "🇫🇷", "👍🏽"])
def test_emoji_sequences_are_emoji(app, emoji):
    assert check_emoji(emoji) == emoji


@pytest.mark.parametrize("value", ["", "a", "1", " ", "👍 ", "\u0000", None, 5, ["👍"], "👍" * 17])
def test_anything_else_is_refused(app, value):
    with pytest.raises(ActionError) as refused:
        check_emoji(value)
    assert refused.value.code == "invalid_emoji"


def test_a_reaction_is_one_message_change(alice, bob, group, captured_events):
    message = send_message(alice, group.id, "hello").message
    captured_events.clear()
    reacted = add_reaction(bob, message.id, "👍")
    assert captured_events == [MessageChanged(group.id, message.id, 2)]
    assert reacted.revision == 2
    captured_events.clear()
    add_reaction(bob, message.id, "👍")  # again: nothing changes, nobody is told
    remove_reaction(alice, message.id, "👍")  # not hers
    assert captured_events == []
    remove_reaction(bob, message.id, "👍")
    assert captured_events == [MessageChanged(group.id, message.id, 3)]


def test_mentions_are_stored_for_members_only_and_all_needs_an_admin(alice, bob, carol, group, captured_events):
    sent = send_message(alice, group.id, f"@{bob.username} and @{carol.username} and @{alice.username}").message
    assert [m.user_id for m in sent.mentions] == [bob.id]  # carol is not a member; nobody mentions themselves
    assert captured_events[0] == MessageCreated(group.id, sent.id, 1)
    before = database_rows()
    with pytest.raises(ActionError) as refused:
        send_message(bob, group.id, "@all hello")
    assert refused.value.code == "mention_all_forbidden"
    assert database_rows() == before
    everyone = send_message(alice, group.id, "@all hello").message
    assert everyone.mentions_all and [m.user_id for m in everyone.mentions] == [bob.id]
    edited = edit_message(alice, sent.id, "never mind")
    assert edited.mentions == []


def test_a_username_ending_in_a_dot_or_a_dash_is_mentioned(alice, bob):
    """Usernames may end with "." or "-" (actions.validation.USERNAME_PATTERN): "@dana." names dana. when she is
    a member; it names dan (the dot ending the sentence) only when no member is called dana. (the longest name
    that is a member's, as Slack completes names)."""
    dana, eve, dan = make_user("dana."), make_user("eve-"), make_user("dan")
    group = make_group(alice, "Dots", [bob, dana, eve])
    sent = send_message(alice, group.id, f"hi @dana. and @eve- and @{bob.username}.").message
    assert sorted(m.user_id for m in sent.mentions) == sorted([dana.id, eve.id, bob.id])
    with_dan = make_group(alice, "Dan", [dan, dana])
    assert [m.user_id for m in send_message(alice, with_dan.id, "thanks @dana.").message.mentions] == [dana.id]
    assert [m.user_id for m in send_message(alice, with_dan.id, "thanks @dan.").message.mentions] == [dan.id]
    assert [m.user_id for m in edit_message(alice, sent.id, "only @eve-").mentions] == [eve.id]


def test_a_name_ending_in_a_dot_or_a_dash_is_mentioned_before_more_punctuation(alice, bob):
    """protocol.md: `@dana.` names dana. when she is a member: so do `@dana..` (an ellipsis after her name) and
    `@eve-.` (eve- at a sentence's end), each trailing "." or "-" read off in turn, longest name first."""
    dana, eve = make_user("dana."), make_user("eve-")
    group = make_group(alice, "Ellipsis", [bob, dana, eve])
    sent = send_message(alice, group.id, "thanks @eve-. and @dana... and @bob.-").message
    assert sorted(m.user_id for m in sent.mentions) == sorted([dana.id, eve.id, bob.id])
    assert mentioned_names("@eve-.") == {"eve-.", "eve-", "eve"}


def test_all_in_a_direct_chat_is_plain_text_even_to_someone_named_all(alice):
    """protocol.md: `@all` in a direct chat is plain text. Usernames could be "all" (no new account's may since,
    actions.validation.RESERVED_USERNAMES, but one named so before keeps it): it mentioned them there."""
    named_all = make_user("allan")
    named_all.username = "all"
    direct = open_direct_conversation(alice, named_all.id).conversation
    sent = send_message(alice, direct.id, "@all see you").message
    assert sent.mentions == [] and not sent.mentions_all


def test_a_reply_and_the_history_around(alice, bob, group, captured_events):
    sent = [send_message(alice, group.id, f"m{number}").message for number in range(6)]
    captured_events.clear()
    reply = send_message(bob, group.id, "yes", reply_to=sent[0].id).message
    assert reply.reply_to_id == sent[0].id
    # One new revision, the message; then the reader's own read position and its receipts (issue 9 B).
    assert captured_events[:2] == [MessageCreated(group.id, reply.id, 7), ConversationRead(bob.id, group.id, 7)]
    assert not any(isinstance(event, MessageChanged) for event in captured_events)
    window = message_history_around(bob, sent[2].id, limit=3)
    assert [m.body for m in window.messages] == ["m1", "m2", "m3"]
    assert (window.has_more_before, window.has_more_after) == (True, True)


def test_a_reply_to_another_conversations_message_is_reply_elsewhere_read_or_not(alice, bob, carol, group):
    """docs/protocol.md: `reply_elsewhere` for a message of another conversation, 404 for none at all;
    whether the sender may read that conversation is not asked (they were told `not_a_member`)."""
    from tests.factories import make_group

    theirs = send_message(carol, make_group(carol, "Apart").id, "not bob's").message
    bobs_other = send_message(bob, make_group(bob, "Bob's").id, "bob's").message
    before = database_rows()
    for original in (theirs.id, bobs_other.id):
        with pytest.raises(ActionError) as refused:
            send_message(bob, group.id, "quote", reply_to=original)
        assert (refused.value.status, refused.value.code) == (400, "reply_elsewhere")
    with pytest.raises(ActionError) as refused:
        send_message(bob, group.id, "quote", reply_to=theirs.id + 1000)
    assert (refused.value.status, refused.value.code) == (404, "message_not_found")
    assert database_rows() == before


@pytest.mark.parametrize("app_settings", [{"SEND_BURST": 2, "SEND_PER_MINUTE": 60}])
def test_reactions_share_the_send_rate(app, alice, bob, group):
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: 1_000_000.0)  # time stands still
    message = send_message(alice, group.id, "hello").message  # alice's first send
    add_reaction(bob, message.id, "👍")
    add_reaction(bob, message.id, "👍")  # changes nothing: not counted
    add_reaction(bob, message.id, "🎉")
    before = database_rows()
    with pytest.raises(ActionError) as refused:
        add_reaction(bob, message.id, "😂")
    assert refused.value.code == "rate_limited"
    assert database_rows() == before


def expected_window(seqs: list[int], target: int, limit: int) -> tuple[list[int], bool, bool]:
    """The window around `target` as the protocol describes it, worked out from every seq of the
    conversation: about half before, the rest after, and near either end the other side fills it."""
    index, others = seqs.index(target), limit - 1
    older, newer = seqs[:index][::-1], seqs[index + 1:]
    before_count = min(len(older), max(others // 2, others - len(newer)))
    after_count = min(len(newer), others - before_count)
    return (older[:before_count][::-1] + [target] + newer[:after_count], len(older) > before_count,
            len(newer) > after_count)


def test_the_history_around_every_message_at_every_size(alice, bob, group):
    """Reading only the rows the window shows (issue 15) gives the window the protocol describes,
    around the first message, the last and every one between, for small and large limits."""
    sent = [send_message(alice, group.id, f"m{number}").message for number in range(9)]
    seqs = [message.seq for message in sent]
    for message in sent:
        for limit in (1, 2, 3, 4, 5, 8, 9, 10, 50):
            window = message_history_around(bob, message.id, limit=limit)
            shown = ([m.seq for m in window.messages], window.has_more_before, window.has_more_after)
            assert shown == expected_window(seqs, message.seq, limit), (message.seq, limit)
