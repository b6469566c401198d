"""Contacts: requests by username, email or phone, accepted or declined; removal. Contacts are
mutual (both people hold a row), as in WeChat and Telegram's mutual contacts."""
from __future__ import annotations

from dataclasses import dataclass

from actions.access import (
    access_contact_request,
    access_user_for_contact_request,
    are_contacts,
    hold_active_user,
    lock_pair,
)
from actions.errors import Conflict, InvalidInput, NotFound
from actions.presence import announce_presence_to_contact
from actions.rate_limits import limit_contact_request
from actions.receipts import receipt_views_between
from actions.validation import check_email, check_id, check_phone, check_string
from events import atomic, queue_event
from events.facts import ContactAdded, ContactRemoved, ContactRequestChanged
from extensions import db
from models import Contact, ContactRequest, User

ADDRESS_FIELDS = ("username", "email", "phone")


@dataclass(frozen=True)
class RequestOutcome:
    request: ContactRequest
    # sent: "pending", or "accepted" when the other person had asked first;
    # declined: "declined" by the recipient, or "cancelled" by the requester
    state: str


@dataclass(frozen=True)
class PendingRequests:
    incoming: list[ContactRequest]
    outgoing: list[ContactRequest]


def find_user_by_address(payload: dict) -> User:
    """The findable user (User.findable) named by exactly one of username, email or phone (email and phone as
    normalized at registration); NotFound otherwise."""
    # Blank text is none given: read as an address it would be None, and `User.email == None` finds
    # every account without an email (a request to any one of them, or a 500 for several).
    given = [field for field in ADDRESS_FIELDS if payload.get(field) is not None
             and not (isinstance(payload[field], str) and not payload[field].strip())]
    if len(given) != 1:
        raise InvalidInput("invalid_address", "Give exactly one of username, email or phone.")
    field = given[0]
    if field == "username":
        value = check_string(payload["username"], "username", max_length=254).lower()
        condition = User.username == value
    elif field == "email":
        condition = User.email == check_email(payload["email"])
    else:
        condition = User.phone == check_phone(payload["phone"])
    user = db.session.execute(db.select(User).where(condition, User.findable)).scalar_one_or_none()
    if user is None:
        raise NotFound("user_not_found", f"Nobody here has that {field.replace('_', ' ')}.")
    return user


@atomic()
def send_contact_request(requester: User, payload: dict) -> RequestOutcome:
    """Ask someone to be a contact. If they had asked first, this accepts their request. Counted
    before the look-up, so that unknown addresses cost as much as known ones."""
    limit_contact_request(requester)
    # Held (FOR KEY SHARE; SQLite: the write lock) before the pair, as a group add holds the account it adds:
    # the purge of accounts never confirmed waits for this request, or deleted the account first (404).
    recipient = hold_active_user(find_user_by_address(payload).id)
    if recipient.id != requester.id:
        lock_pair(requester.id, recipient.id)  # a request of theirs sent at the same moment is found, and accepted
    access_user_for_contact_request(requester, recipient)
    if _find_request(requester.id, recipient.id) is not None:
        raise Conflict("request_pending", "You have asked this person already; wait for their answer.")
    theirs = _find_request(recipient.id, requester.id)
    if theirs is not None and _hold_pair(theirs):  # else withdrawn meanwhile: this one waits for an answer
        return RequestOutcome(_accept(theirs), "accepted")
    request = ContactRequest(requester_id=requester.id, recipient_id=recipient.id)
    db.session.add(request)
    db.session.flush()
    queue_event(ContactRequestChanged(request.id, requester.id, recipient.id, "pending"))
    return RequestOutcome(request, "pending")


@atomic()
def accept_contact_request(user: User, request_id: object) -> ContactRequest:
    """The recipient accepts: both become each other's contacts."""
    return _accept(_held(access_contact_request(user, check_id(request_id, "request_id"), recipient_only=True)))


@atomic()
def decline_contact_request(user: User, request_id: object) -> RequestOutcome:
    """The recipient declines ("declined"), or the requester withdraws ("cancelled") their own request."""
    request = _held(access_contact_request(user, check_id(request_id, "request_id"), recipient_only=False))
    return RequestOutcome(request, end_request_unchecked(request, user.id))


@atomic()
def remove_contact(user: User, contact_id: object) -> None:
    """Either person ends a contact, for both of them."""
    contact_id = check_id(contact_id, "user_id")
    if not are_contacts(user.id, contact_id):
        raise NotFound("contact_not_found", "This person is not one of your contacts.")
    remove_contact_unchecked(user.id, contact_id)
    announce_presence_to_contact(user.id, contact_id)  # "contacts" last seen: hidden now (a block tells its own)


def remove_contact_unchecked(user_id: int, contact_id: int) -> bool:
    """Delete both rows and tell both people; decides nothing (actions.blocks uses it too)."""
    views_before = receipt_views_between(user_id, contact_id)  # "contacts" read receipts: hidden now
    removed = db.session.execute(db.delete(Contact).where(
        ((Contact.user_id == user_id) & (Contact.contact_id == contact_id))
        | ((Contact.user_id == contact_id) & (Contact.contact_id == user_id)))).rowcount
    if removed:
        queue_event(ContactRemoved(user_id, contact_id))
        queue_event(ContactRemoved(contact_id, user_id))
        views_before.announce()
    return bool(removed)


def _close_request(request: ContactRequest, state: str) -> None:
    """Delete a request and tell both people how it ended; decides nothing."""
    queue_event(ContactRequestChanged(request.id, request.requester_id, request.recipient_id, state))
    db.session.delete(request)
    db.session.flush()


def end_request_unchecked(request: ContactRequest, ended_by: int) -> str:
    """Close a request for one of its two people: "declined" by its recipient, "cancelled" by its
    requester (the state returned); decides nothing (actions.blocks uses it)."""
    state = "declined" if request.recipient_id == ended_by else "cancelled"
    _close_request(request, state)
    return state


def list_contacts(user: User) -> list[Contact]:
    """The user's contacts (active accounts), by name."""
    return list(db.session.execute(
        db.select(Contact).join(User, User.id == Contact.contact_id)
        .where(Contact.user_id == user.id, User.active.is_(True)).order_by(User.display_name, User.id)
    ).scalars())


def pending_requests(user: User) -> PendingRequests:
    """Requests waiting for the user's answer, and the user's own waiting for others', newest first; those
    whose other person is not findable (User.findable: deactivated, suspended, never confirmed) are left
    out, as from the contacts (they show again if a suspension ends)."""
    def of(condition, other) -> list[ContactRequest]:
        return list(db.session.execute(db.select(ContactRequest).join(User, User.id == other)
                                       .where(condition, User.findable)
                                       .order_by(ContactRequest.id.desc())).scalars())
    return PendingRequests(incoming=of(ContactRequest.recipient_id == user.id, ContactRequest.requester_id),
                           outgoing=of(ContactRequest.requester_id == user.id, ContactRequest.recipient_id))


def _accept(request: ContactRequest) -> ContactRequest:
    first, second = request.requester_id, request.recipient_id
    views_before = receipt_views_between(first, second)  # "contacts" read receipts: shown now
    _close_request(request, "accepted")  # told first: `contact:added` follows (docs/protocol.md)
    crossed = _find_request(second, first)  # both asked at the same moment, each before the other's was stored
    if crossed is not None:
        _close_request(crossed, "accepted")
    for user_id, contact_id in ((first, second), (second, first)):
        if db.session.get(Contact, (user_id, contact_id)) is None:
            db.session.add(Contact(user_id=user_id, contact_id=contact_id))
            queue_event(ContactAdded(user_id, contact_id))
    views_before.announce()
    announce_presence_to_contact(first, second)  # "contacts" last seen: shown now
    return request


def _held(request: ContactRequest) -> ContactRequest:
    """`request`, once _hold_pair holds it; answered (or withdrawn) meanwhile: not found, as after any answer."""
    if not _hold_pair(request):
        raise NotFound("request_not_found", "No such contact request.")
    return request


def _hold_pair(request: ContactRequest) -> bool:
    """Lock `request` and the reverse one of its two people (crossed requests: both asked at once) until
    COMMIT, in id order (SQLite: the write lock), and read them again; whether `request` is still there.
    Read without it, two people accepting each other's crossed requests at once each took their own
    away and waited for the other's (_accept closes both): PostgreSQL cancelled one as a deadlock."""
    first, second = request.requester_id, request.recipient_id
    lock_pair(first, second)
    held = db.session.execute(db.select(ContactRequest).where(
        ((ContactRequest.requester_id == first) & (ContactRequest.recipient_id == second))
        | ((ContactRequest.requester_id == second) & (ContactRequest.recipient_id == first)))
        .order_by(ContactRequest.id).with_for_update().execution_options(populate_existing=True)).scalars().all()
    return request in held


def _find_request(requester_id: int, recipient_id: int) -> ContactRequest | None:
    return db.session.execute(db.select(ContactRequest).where(
        ContactRequest.requester_id == requester_id, ContactRequest.recipient_id == recipient_id)
    ).scalar_one_or_none()
