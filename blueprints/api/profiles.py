"""Profiles and pictures: one's own profile, anyone's profile card, and the access-checked
picture URLs of users and groups (docs/protocol.md, "Profiles and pictures")."""
from __future__ import annotations

import re

from flask import Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from actions.errors import ActionError, InvalidInput
from actions.profiles import (
    avatar_download_url,
    check_crop,
    get_profile,
    group_avatar_download_url,
    own_profile,
    remove_avatar,
    remove_group_avatar,
    set_avatar,
    set_group_avatar,
    update_profile,
)
from blueprints.api import api_user, bp, json_body
from blueprints.files.multipart import MULTIPART_OVERHEAD_BYTES, FilePart, read_file_part
from blueprints.http_unit import streamed_body, streams_its_body
from events import outside_the_database
from models import User
from payloads import conversation_payload, profile_payload
from storage.avatars import initials_svg
from storage.streams import TooLarge

# The initials picture's URL changes with the name (payloads.avatar_url): a browser may keep it.
INITIALS_MAX_AGE = 86400
VERSION = re.compile(r"[A-Za-z0-9_-]{1,64}")


@bp.patch("/me")
def update_me():
    """Change one's {display_name?, status_text?, time_zone?}; people who share a conversation see it live."""
    return _own(update_profile(api_user(), json_body()))


def _own(user: User) -> Response:
    """The answer of a change to one's profile: the Profile, with one's own presence as GET /api/me has it."""
    found = own_profile(user)
    return jsonify({"ok": True, "user": profile_payload(found.user, found.online)})


@bp.get("/users/<id:user_id>")
def profile(user_id: int):
    """Someone's profile card: name, picture, status line, time zone, and online if they allow it."""
    found = get_profile(api_user(), user_id)
    return jsonify({"ok": True, "user": profile_payload(found.user, found.online, found.about_hidden)})


@bp.post("/me/avatar")
@streams_its_body
def upload_avatar():
    """Upload one's picture (the multipart part `file`, refused `missing_file` without one; crop_x, crop_y,
    crop_size before it, or none for the centred square): stored in three sizes; 200 with one's profile."""
    part = _picture_part()
    return _own(set_avatar(api_user(), part.stream, part.content_type, _crop(part)))


@bp.delete("/me/avatar")
def delete_avatar():
    """Back to the initials picture."""
    return _own(remove_avatar(api_user()))


@bp.get("/users/<id:user_id>/avatar")
def user_avatar(user_id: int):
    """A user's picture (?size=small|medium|large): a redirect to a short-lived URL, or the initials SVG."""
    _check_version()
    user, url = avatar_download_url(api_user(), user_id, request.args.get("size"))
    # A picture hidden by a block is answered at the picture's own URL: not to be kept (it shows once lifted).
    return _picture(url, user.display_name, user.id, keep=url is not None or user.avatar_key is None)


@bp.post("/groups/<id:conversation_id>/avatar")
@streams_its_body
def upload_group_avatar(conversation_id: int):
    """Owners and admins set the group's picture (as for one's own); members see it live."""
    part = _picture_part()
    group = set_group_avatar(api_user(), conversation_id, part.stream, part.content_type, _crop(part))
    return jsonify({"ok": True, "conversation": conversation_payload(group)})


@bp.delete("/groups/<id:conversation_id>/avatar")
def delete_group_avatar(conversation_id: int):
    """Owners and admins remove the group's picture."""
    return jsonify({"ok": True, "conversation": conversation_payload(remove_group_avatar(api_user(),
                                                                                         conversation_id))})


@bp.get("/groups/<id:conversation_id>/avatar")
def group_avatar(conversation_id: int):
    """A group's picture, for its members (anyone signed in for a public group)."""
    _check_version()
    group, url = group_avatar_download_url(api_user(), conversation_id, request.args.get("size"))
    return _picture(url, group.name or "#", group.id)


def _check_version() -> None:
    """`v` only tells caches one picture from the next (payloads.avatar_url); still, it must look like one."""
    version = request.args.get("v")
    if version is not None and not VERSION.fullmatch(version):
        raise InvalidInput("invalid_version", "v must be a picture's version: 1 to 64 letters, digits, _ or -.")


def _picture_part() -> FilePart:
    # Set before anything touches request.stream: a larger Content-Length is refused unread.
    limit = current_app.config["AVATAR_MAX_BYTES"]
    request.max_content_length = limit + MULTIPART_OVERHEAD_BYTES
    try:
        with outside_the_database():  # the fields before the picture come at the client's pace
            return read_file_part(streamed_body(), request.headers.get("Content-Type"), "file")
    except (RequestEntityTooLarge, TooLarge):
        raise ActionError("file_too_large", f"Pictures are limited to {limit} bytes.", status=413) from None


def _crop(part: FilePart):
    def field(name: str):
        return part.fields.get(name, request.args.get(name))

    return check_crop(field("crop_x"), field("crop_y"), field("crop_size"))


def _picture(url: str | None, name: str, identifier: int, keep: bool = True) -> Response:
    if url is None:
        response = Response(initials_svg(name, identifier), mimetype="image/svg+xml")
        response.headers["Cache-Control"] = f"private, max-age={INITIALS_MAX_AGE}" if keep else "no-store"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"  # the target expires; ask again next time
    return response
