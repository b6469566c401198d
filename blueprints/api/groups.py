"""Groups: create, discover, preview, join, leave; owners and admins manage members; owners hand
the group over or delete it."""
from flask import jsonify, request

from actions.conversations import conversation_summary
from actions.errors import InvalidInput
from actions.group_admin import delete_group_by_owner
from actions.groups import (
    add_member,
    create_group,
    join_group,
    leave_group,
    list_public_groups,
    preview_group,
    remove_member,
    set_member_role,
    transfer_ownership,
    update_group,
)
from actions.validation import check_fields, check_id, check_ids_in, check_limit
from blueprints.api import api_user, bp, json_body
from payloads import conversation_payload, member_payload, message_payload, summary_payload

GROUP_FIELDS = ("name", "description", "visibility", "member_ids")  # what POST /api/groups takes
CHANGED_FIELDS = ("name", "description")  # what PATCH /api/groups/<id> changes


@bp.post("/groups")
def create():
    """Create {name, description?, visibility: public|private, member_ids?}."""
    payload = check_fields(json_body(), GROUP_FIELDS, "group")
    member_ids = payload.get("member_ids")  # null: none, as left out; a 0, "" or false is no list
    member_ids = [] if member_ids is None else member_ids
    if not isinstance(member_ids, list) or len(member_ids) > 500:
        raise InvalidInput("invalid_member_ids", "member_ids must be a list of at most 500 user ids.")
    group = create_group(api_user(), payload.get("name"), payload.get("description"),
                         payload.get("visibility"), check_ids_in(member_ids, "member_ids"))
    return jsonify({"ok": True, "conversation": summary_payload(conversation_summary(api_user(), group.id))}), 201


@bp.get("/groups")
def public_groups():
    """Public groups, searchable by name: ?q=&limit=."""
    found = list_public_groups(request.args.get("q", ""), limit=check_limit(request.args.get("limit")))
    return jsonify({"ok": True, "groups": [conversation_payload(group, member_count=count)
                                           for group, count in found]})


@bp.get("/groups/<id:conversation_id>/preview")
def group_preview(conversation_id: int):
    """A public group before joining: its newest messages (oldest first) and member count."""
    found = preview_group(api_user(), conversation_id)
    return jsonify({"ok": True, "conversation": conversation_payload(found.group, member_count=found.member_count),
                    "messages": [message_payload(message) for message in found.messages]})


@bp.post("/groups/<id:conversation_id>/join")
def join(conversation_id: int):
    """Join a public group."""
    join_group(api_user(), conversation_id)
    return jsonify({"ok": True, "conversation": summary_payload(conversation_summary(api_user(), conversation_id))})


@bp.post("/groups/<id:conversation_id>/leave")
def leave(conversation_id: int):
    """Leave a group."""
    leave_group(api_user(), conversation_id)
    return jsonify({"ok": True})


@bp.patch("/groups/<id:conversation_id>")
def update(conversation_id: int):
    """Owners and admins rename: {name?, description?}. Another field (a typo, `visibility`) is refused
    400 invalid_field (actions.validation.check_fields), rather than answered 200 with nothing changed."""
    payload = check_fields(json_body(), CHANGED_FIELDS, "group")
    group = update_group(api_user(), conversation_id, payload.get("name"), payload.get("description"))
    return jsonify({"ok": True, "conversation": conversation_payload(group)})


@bp.post("/groups/<id:conversation_id>/members")
def add(conversation_id: int):
    """Owners and admins add {user_id}."""
    user_id = check_fields(json_body(), ("user_id",), "member").get("user_id")
    membership = add_member(api_user(), conversation_id, check_id(user_id, "user_id"))
    return jsonify({"ok": True, "member": member_payload(membership)}), 201


@bp.delete("/groups/<id:conversation_id>/members/<id:user_id>")
def remove(conversation_id: int, user_id: int):
    """Owners and admins remove a member."""
    remove_member(api_user(), conversation_id, user_id)
    return jsonify({"ok": True})


@bp.patch("/groups/<id:conversation_id>/members/<id:user_id>")
def set_role(conversation_id: int, user_id: int):
    """Set a member's {role}: owner, admin or member."""
    role = check_fields(json_body(), ("role",), "member").get("role")
    membership = set_member_role(api_user(), conversation_id, user_id, role)
    return jsonify({"ok": True, "member": member_payload(membership)})


@bp.post("/groups/<id:conversation_id>/owner")
def transfer_owner(conversation_id: int):
    """An owner hands the group to another member {user_id}: they become owner, the caller an admin."""
    user_id = check_fields(json_body(), ("user_id",), "member").get("user_id")
    membership = transfer_ownership(api_user(), conversation_id, check_id(user_id, "user_id"))
    return jsonify({"ok": True, "member": member_payload(membership)})


@bp.delete("/groups/<id:conversation_id>")
def delete_group(conversation_id: int):
    """An owner deletes the group: archived now, removed by a job; members get conversation:removed."""
    delete_group_by_owner(api_user(), conversation_id)
    return jsonify({"ok": True}), 202
