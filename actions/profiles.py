"""Profiles: display name, picture, status line and time zone; groups' pictures.

A picture is stored as three JPEGs (storage.avatars.AVATAR_SIZES) under one storage key kept on
the row (`avatar_key`); until one is uploaded the page shows the initials picture. Decoding runs
on offload.py's pool of native threads: never on the event loop. Every change is told to the
user's own connections and to everyone who shares a conversation with them (ProfileChanged);
a group's picture to its members (ConversationUpdated).
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from flask import current_app

from actions.access import (
    access_conversation_picture,
    access_group_for_managing,
    access_operator,
    access_person_picture,
    access_profile,
    blocked_by,
    has_blocked,
    may_see_presence,
)
from actions.audit import record
from actions.errors import ActionError, InvalidInput, NotFound
from actions.files import count_upload
from actions.validation import check_choice, check_fields, check_int, check_string, check_time_zone
from events import atomic, on_commit, outside_the_database, queue_event
from events.facts import ConversationUpdated, ProfileChanged
from events.unit_of_work import WrittenOutside
from extensions import db
from models import Conversation, Membership, User
from offload import run_off_loop
from storage import Storage, get_storage
from storage.avatars import AVATAR_SIZES, AVATAR_TYPES, AvatarRefused, Crop, avatar_object_key, make_avatar_images
from storage.sniff import sniff
from storage.streams import TooLarge

log = logging.getLogger(__name__)

DISPLAY_NAME_MAX_LENGTH = 64
STATUS_MAX_LENGTH = 140
PROFILE_FIELDS = ("display_name", "status_text", "time_zone")


@dataclass(frozen=True)
class Profile:
    user: User
    online: bool | None  # None: the viewer may not see it (privacy, blocks)
    about_hidden: bool = False  # they blocked the viewer: no status line, time zone or picture (Telegram, WhatsApp)


def check_crop(x: object, y: object, size: object) -> Crop | None:
    """The square to keep, in the image's pixels as shown; none of the three: the centred square."""
    if x in (None, "") and y in (None, "") and size in (None, ""):
        return None
    try:
        # Form fields arrive as text: check_int reads "12" as 12.
        return Crop(check_int(x, "crop_x", minimum=0), check_int(y, "crop_y", minimum=0),
                    check_int(size, "crop_size", minimum=1))
    except InvalidInput:
        raise InvalidInput("invalid_crop", "crop_x, crop_y and crop_size must be whole numbers of pixels "
                                           "(all three, or none for the centred square).") from None


def get_profile(viewer: User, user_id: int) -> Profile:
    """Someone's profile as `viewer` may see it (presence only where their privacy settings allow)."""
    from realtime.presence import presence  # the live sockets: read, never changed, here

    user = access_profile(viewer, user_id)
    online = user.id in presence.online_user_ids() if may_see_presence(viewer.id, user.id) else None
    return Profile(user=user, online=online, about_hidden=has_blocked(user.id, viewer.id))


def own_profile(user: User) -> Profile:
    """The caller's own profile: their presence is never hidden from themselves (get_profile's rule)."""
    from realtime.presence import presence  # the live sockets: read, never changed, here

    return Profile(user=user, online=presence.is_online(user.id))


@atomic()
def update_profile(user: User, changes: dict) -> User:
    """Change {display_name?, status_text?, time_zone?} (fields not given are kept); the people who
    share a conversation with the user see the change live."""
    check_fields(changes, PROFILE_FIELDS, "profile")
    values = {}
    if "display_name" in changes:
        values["display_name"] = check_string(changes["display_name"], "display_name",
                                              max_length=DISPLAY_NAME_MAX_LENGTH)
    if "status_text" in changes:
        values["status_text"] = check_string(changes["status_text"], "status_text", max_length=STATUS_MAX_LENGTH,
                                             required=False)
    if "time_zone" in changes:
        values["time_zone"] = check_time_zone(changes["time_zone"])
    changed = {name: value for name, value in values.items() if getattr(user, name) != value}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        _tell_profile_changed(user, name_changed="display_name" in changed)
    return user


@atomic()
def set_avatar(user: User, stream: BinaryIO, declared_type: str | None, crop: Crop | None) -> User:
    """Upload one's picture: cropped square (`crop`, or the centred square), stored in every size;
    the previous one is deleted once this commits."""
    count_upload(user)
    base_key = _store_picture(f"avatars/{user.id}", stream, declared_type, crop)
    _replace_on_commit(user, base_key)
    _tell_profile_changed(user)
    return user


@atomic()
def remove_avatar(user: User) -> User:
    """Back to the initials picture."""
    if user.avatar_key is not None:
        _replace_on_commit(user, None)
        _tell_profile_changed(user)
    return user


@atomic()
def set_group_avatar(manager: User, conversation_id: int, stream: BinaryIO, declared_type: str | None,
                     crop: Crop | None) -> Conversation:
    """A group's owners and admins set its picture; members see it live."""
    conversation = access_group_for_managing(manager, conversation_id).conversation
    count_upload(manager)
    base_key = _store_picture(f"groupavatars/{conversation.id}", stream, declared_type, crop)
    _replace_on_commit(conversation, base_key)
    queue_event(ConversationUpdated(conversation.id))
    return conversation


@atomic()
def remove_group_avatar(manager: User, conversation_id: int) -> Conversation:
    conversation = access_group_for_managing(manager, conversation_id).conversation
    if conversation.avatar_key is not None:
        _replace_on_commit(conversation, None)
        queue_event(ConversationUpdated(conversation.id))
    return conversation


@atomic()
def reset_profile(operator: User, user_id: int) -> User:
    """An operator removes an offensive picture and status line (audited); the people who share a
    conversation with the user see it at once. The name is changed through the account editor."""
    access_operator(operator)
    user = db.session.get(User, check_int(user_id, "user_id", minimum=1))
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    before = {"had_picture": user.avatar_key is not None, "status_text": user.status_text}
    if before == {"had_picture": False, "status_text": ""}:
        return user
    record(operator, "user.reset_profile", "user", user.id, before, {"had_picture": False, "status_text": ""})
    user.status_text = ""
    if user.avatar_key is not None:
        _replace_on_commit(user, None)
    _tell_profile_changed(user)
    return user


def forget_picture_on_commit(owner: User | Conversation) -> None:
    """A user or group that is going: its picture's files go once that has committed."""
    if owner.avatar_key is not None:
        _replace_on_commit(owner, None)


def avatar_download_url(viewer: User, user_id: int, size: object) -> tuple[User, str | None]:
    """The user and a short-lived URL of their picture in `size`; None while they have none, and for
    someone they blocked (the initials picture, as Telegram and WhatsApp hide a blocker's photo)."""
    user = access_person_picture(viewer, user_id)
    size = _avatar_size(size)
    if has_blocked(user.id, viewer.id):
        return user, None
    return user, _download_url(user.avatar_key, size, f"avatar-{user.id}")


def _avatar_size(value: object) -> str:
    """The `size` asked for (a query string's): one of AVATAR_SIZES, medium when absent or empty."""
    return check_choice(None if value == "" else value, "size", tuple(AVATAR_SIZES), default="medium")


def group_avatar_download_url(viewer: User, conversation_id: int, size: object) -> tuple[Conversation, str | None]:
    conversation = access_conversation_picture(viewer, conversation_id)
    return conversation, _download_url(conversation.avatar_key, _avatar_size(size), f"group-{conversation.id}")


def people_sharing_a_conversation(user_id: int) -> tuple[int, ...]:
    """Everyone who is in at least one conversation with the user (the user included)."""
    theirs = db.select(Membership.conversation_id).where(Membership.user_id == user_id)
    return tuple(db.session.execute(
        db.select(Membership.user_id).where(Membership.conversation_id.in_(theirs)).distinct()
        .order_by(Membership.user_id)
    ).scalars())


def _tell_profile_changed(user: User, name_changed: bool = False) -> None:
    """Everyone who shares a conversation with the user; those they blocked without what get_profile hides
    from them (the status line, the time zone), and only when the name, all they see change, changed: a
    frame for a change they cannot see would tell them when the blocker is active, which the block hides
    (presence)."""
    blocked = set(db.session.execute(blocked_by(user.id)).scalars())
    sharing = people_sharing_a_conversation(user.id)
    queue_event(ProfileChanged(user.id, tuple(user_id for user_id in sharing if user_id not in blocked),
                               tuple(user_id for user_id in sharing if user_id in blocked) if name_changed else ()))


def _store_picture(area: str, stream: BinaryIO, declared_type: str | None, crop: Crop | None) -> str:
    """Read, decode and store an uploaded picture holding no database connection and no place at the
    gate (its body comes at the client's pace: a few slow uploads would otherwise keep every other
    request from the database, as actions.files.upload_attachment's); the base key of its sizes."""
    with outside_the_database() as written:  # its objects stay only if the unit commits with the row
        return _store_images(area, _read_image(stream, declared_type), crop, written)


def _read_image(stream: BinaryIO, declared_type: str | None) -> bytes:
    limit = current_app.config["AVATAR_MAX_BYTES"]
    data = _read_at_most(stream, limit + 1)
    if not data:
        raise InvalidInput("empty_file", "The file is empty.")
    if len(data) > limit:
        raise ActionError("file_too_large", f"Pictures are limited to {limit} bytes.", status=413)
    if sniff(data[:512], declared_type) not in AVATAR_TYPES:
        raise ActionError("type_not_allowed", "A picture must be a PNG, JPEG, GIF or WebP image.", status=415)
    return data


def _read_at_most(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes: a stream's read may answer fewer than asked (one part of a multipart body)."""
    chunks, total = [], 0
    try:
        while total < size:
            chunk = stream.read(min(64 * 1024, size - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except TooLarge:  # a body without Content-Length, past the route's cap
        return b"x" * size
    return b"".join(chunks)


def _store_images(area: str, data: bytes, crop: Crop | None, written: WrittenOutside) -> str:
    """Decode, crop and resize on the pool of native threads; store every size, each taken back with
    the unit if it does not commit (`written`); the base key."""
    config = current_app.config
    try:
        images = run_off_loop(make_avatar_images, data, crop, config["THUMBNAIL_MAX_PIXELS"],
                              threads=config["PASSWORD_HASH_THREADS"], waiting=config["PASSWORD_HASH_WAITING"])
    except AvatarRefused as refused:
        raise ActionError(refused.code, refused.message, status=422) from None
    storage = get_storage()
    base_key = f"{area}/{secrets.token_urlsafe(18)}"
    stored: list[str] = []  # the sizes stored so far: a failure halfway takes them back, and only them
    written.undo_with(lambda: _delete_images(storage, base_key, stored))
    for size, image in images.items():
        storage.save(avatar_object_key(base_key, size), BytesIO(image), "image/jpeg")
        stored.append(size)
    return base_key


def _replace_on_commit(owner: User | Conversation, base_key: str | None) -> None:
    """Point the row at the new picture; the old one's objects go once that has committed (a
    leftover object is unreachable, a lost one under a committed key would be broken)."""
    old_key, owner.avatar_key = owner.avatar_key, base_key
    if old_key is not None:
        storage = get_storage()
        on_commit(lambda: _delete_images(storage, old_key))


def _delete_images(storage: Storage, base_key: str, sizes: Iterable[str] = AVATAR_SIZES) -> None:
    for size in sizes:
        try:
            storage.delete(avatar_object_key(base_key, size))
        except Exception:  # noqa: BLE001  (unreachable once the row moved on: logged)
            log.exception("could not delete %s from storage", base_key)


def _download_url(base_key: str | None, size: str, name: str) -> str | None:
    if base_key is None:
        return None
    return get_storage().download_url(avatar_object_key(base_key, size), filename=f"{name}-{size}.jpg",
                                      content_type="image/jpeg", inline=True,
                                      expires_in=current_app.config["DOWNLOAD_URL_SECONDS"])

