"""Domain events: facts about what changed, with their recipients. Not wire frames.

Actions queue these with `events.queue_event`; after the transaction commits, the
dispatcher hands them to each transport adapter (Socket.IO today; the binary gateway,
Web Push and metrics later), which turns them into its own frames. A fact names ids and
the new revision only: adapters render what they need while the transaction is still
open (see events.unit_of_work), so nothing is read again after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipients:
    """Who is told: the members of one conversation (resolved once, by the adapter) or listed users."""

    conversation_id: int | None = None
    user_ids: tuple[int, ...] = ()
    socket_id: str | None = None  # one connection, by its Socket.IO id (an anonymous login page's)

    @classmethod
    def members_of(cls, conversation_id: int) -> Recipients:
        return cls(conversation_id=conversation_id)

    @classmethod
    def users(cls, *user_ids: int) -> Recipients:
        return cls(user_ids=tuple(user_ids))

    @classmethod
    def socket(cls, socket_id: str) -> Recipients:
        return cls(socket_id=socket_id)


@dataclass(frozen=True)
class Fact:
    @property
    def recipients(self) -> Recipients:  # pragma: no cover - every fact has an audience below
        raise NotImplementedError


@dataclass(frozen=True)
class ToMembers(Fact):
    """Told to the members of `conversation_id`."""

    @property
    def recipients(self) -> Recipients:
        return Recipients.members_of(self.conversation_id)


@dataclass(frozen=True)
class ToUser(Fact):
    """Told to every connection of `user_id`."""

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(self.user_id)


@dataclass(frozen=True)
class ToSocket(Fact):
    """Told to one connection, `socket_id`, on whichever process holds it."""

    @property
    def recipients(self) -> Recipients:
        return Recipients.socket(self.socket_id)


# Messages. Every revision of a conversation is exactly one of these two facts, so a
# receiver that sees revision r+2 after r knows that r+1 is missing.

@dataclass(frozen=True)
class MessageCreated(ToMembers):
    conversation_id: int
    message_id: int
    revision: int


@dataclass(frozen=True)
class MessageChanged(ToMembers):
    """Edited, deleted by its author, hidden or unhidden by an operator."""

    conversation_id: int
    message_id: int
    revision: int


@dataclass(frozen=True)
class ConversationRead(ToUser):
    """A user's read position moved: their other tabs and devices follow."""

    user_id: int
    conversation_id: int
    last_read_seq: int


@dataclass(frozen=True)
class ConversationMuted(ToUser):
    """A user muted or unmuted a conversation: their other tabs and devices follow."""

    user_id: int
    conversation_id: int
    muted: bool


@dataclass(frozen=True)
class ReceiptFact(Fact):
    """A member's positions in one conversation, told to some people for their ticks:
    `read_visible_to` may see the read position, `read_hidden_from` only the delivered one (the
    reader's privacy settings, blocks). Rendered alike (`conversation:receipt`)."""

    conversation_id: int
    user_id: int
    last_delivered_seq: int
    last_read_seq: int
    read_visible_to: tuple[int, ...]
    read_hidden_from: tuple[int, ...] = ()

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(*self.read_visible_to, *self.read_hidden_from)


@dataclass(frozen=True)
class ReceiptMoved(ReceiptFact):
    """A member's delivered or read position passed messages of others (actions.receipts): the
    authors of those messages are told."""


@dataclass(frozen=True)
class ReceiptVisibilityChanged(ReceiptFact):
    """Who may see how far a member read changed (their `read_receipts` privacy setting:
    actions.privacy; a block or a contact between two members: actions.blocks, actions.contacts):
    in one conversation, `read_visible_to` may see the read position now and could not before,
    `read_hidden_from` could and no longer may. Nobody else is told."""


# Conversations and memberships.

@dataclass(frozen=True)
class ConversationJoined(ToUser):
    """The user became a member: their live connections start following the conversation."""

    user_id: int
    conversation_id: int


@dataclass(frozen=True)
class ConversationLeft(ToUser):
    """The user is no longer a member (left, removed, or the group was deleted)."""

    user_id: int
    conversation_id: int
    reason: str


@dataclass(frozen=True)
class ConversationUpdated(ToMembers):
    conversation_id: int


@dataclass(frozen=True)
class MemberJoined(ToMembers):
    """Told to the members of a group that someone was added or joined."""

    conversation_id: int
    user_id: int


@dataclass(frozen=True)
class MemberLeft(ToMembers):
    conversation_id: int
    user_id: int
    reason: str


@dataclass(frozen=True)
class MemberRoleChanged(ToMembers):
    conversation_id: int
    user_id: int


@dataclass(frozen=True)
class MemberAccountChanged(ToMembers):
    """Told to the members of a group that a member's account was closed (deactivated, suspended) or
    opened again: their Member's `active`."""

    conversation_id: int
    user_id: int


# Contacts, blocks, privacy and presence (actions.contacts, actions.blocks, actions.privacy,
# actions.presence). Told to the people concerned only, never to everyone.

@dataclass(frozen=True)
class ContactRequestChanged(Fact):
    """A contact request was sent (`pending`) or closed (`accepted`, `declined`, `cancelled`):
    both people's connections are told."""

    request_id: int
    requester_id: int
    recipient_id: int
    state: str

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(self.requester_id, self.recipient_id)


@dataclass(frozen=True)
class ContactAdded(ToUser):
    user_id: int
    contact_id: int


@dataclass(frozen=True)
class ContactRemoved(ToUser):
    user_id: int
    contact_id: int


@dataclass(frozen=True)
class BlockChanged(ToUser):
    """The user blocked or unblocked someone: their own tabs and devices follow (the other is not told)."""

    user_id: int
    blocked_id: int
    blocked: bool


@dataclass(frozen=True)
class PrivacyChanged(ToUser):
    user_id: int


@dataclass(frozen=True)
class PresenceChanged(Fact):
    """`user_id` changed who may see their presence: the people in `visible_to` are told it, those in
    `hidden_from` learn it is hidden (chosen by actions.presence with actions.access.may_see_presence
    among presence:batch's audience when it happened)."""

    user_id: int
    online: bool
    visible_to: tuple[int, ...]
    hidden_from: tuple[int, ...] = ()

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(*self.visible_to, *self.hidden_from)


@dataclass(frozen=True)
class PresenceBatch(Fact):
    """Users came online or went offline (`changes`: user id, online), gathered over a moment by
    realtime.presence_tracker. Each viewer in `views` (viewer id, the ids of the changed users it
    may see) is told in one frame; nobody else is told anything (chosen by actions.presence)."""

    changes: tuple[tuple[int, bool], ...]
    views: tuple[tuple[int, tuple[int, ...]], ...]

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(*(viewer for viewer, _ in self.views))


@dataclass(frozen=True)
class TypingChanged(ToMembers):
    """A member started typing (`typing` true, at most every 2 s per conversation) or stopped;
    never stored. Members' pages show it for 5 s unless renewed, and clear it when that member's
    next message arrives. `not_to`: members with a block between them and the typist, either way,
    who are not told."""

    conversation_id: int
    user_id: int
    typing: bool
    not_to: tuple[int, ...] = ()


# Accounts and credentials.

@dataclass(frozen=True)
class UserSessionsRevoked(ToUser):
    """Every live connection of the user ends (deactivated, or password reset by an operator)."""

    user_id: int
    reason: str


@dataclass(frozen=True)
class TokenRevoked(ToUser):
    """The connections opened with one API token end; the user's others go on."""

    user_id: int
    token_id: int


@dataclass(frozen=True)
class SessionEnded(ToUser):
    """The connections opened with one login session (one browser) end, told why first (`reason`, as
    `LoginSession.ended_reason`: "logout", "revoked", "signed_in_elsewhere"…); the user's others go on."""

    user_id: int
    session_id: str
    reason: str = field(default="ended", compare=False)


@dataclass(frozen=True)
class SignedInElsewhere(ToUser):
    """SESSION_POLICY=single: the user logged in on a new page or gateway connection
    (actions.sessions.end_other_logins). Their gateway connections, but `kept_connection` (the gateway
    connection that just logged in, if that is what it was), are told and closed; their other page
    sessions end with their own SessionEnded."""

    user_id: int
    kept_connection: str | None = None


@dataclass(frozen=True)
class QrLoginAnswered(ToSocket):
    """The QR code a waiting login page shows was scanned, approved or refused on a logged-in
    device (actions.qr_login): that page's socket is told, and asks for its ticket if approved."""

    socket_id: str
    outcome: str  # "scanned" | "approved" | "refused" | "expired" (an approval withdrawn: actions.qr_login)


# Profiles.

@dataclass(frozen=True)
class ProfileChanged(Fact):
    """A user's name, picture, status line or time zone changed: told to their own connections and
    to everyone who shares a conversation with them (`audience`, chosen by actions.profiles), whose
    pages redraw the name and picture wherever they show them; those of them the user blocked
    (`about_hidden_from`) without the status line and time zone."""

    user_id: int
    audience: tuple[int, ...]
    about_hidden_from: tuple[int, ...] = ()

    @property
    def recipients(self) -> Recipients:
        return Recipients.users(self.user_id, *(user_id for user_id in self.audience if user_id != self.user_id),
                                *self.about_hidden_from)
