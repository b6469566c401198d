"""Groups: create, discover, join, leave; owners and admins manage members."""
from flask import jsonify, request

from actions.conversations import conversation_summary
from actions.errors import InvalidInput
from actions.groups import (
    add_member,
    create_group,
    join_group,
    leave_group,
    list_public_groups,
    remove_member,
    set_member_role,
    update_group,
)
from actions.validation import check_id, check_limit
from blueprints.api import api_user, bp, json_body
from payloads import conversation_payload, member_payload, summary_payload


@bp.post("/groups")
def create():
    """Create {name, description?, visibility: public|private, member_ids?}."""
    payload = json_body()
    member_ids = payload.get("member_ids") or []
    if not isinstance(member_ids, list) or len(member_ids) > 500:
        raise InvalidInput("invalid_member_ids", "member_ids must be a list of at most 500 user ids.")
    group = create_group(api_user(), payload.get("name"), payload.get("description") or "",
                         payload.get("visibility"), [check_id(i, "member_ids") for i in member_ids])
    return jsonify({"ok": True, "conversation": summary_payload(conversation_summary(api_user(), group.id))}), 201


@bp.get("/groups")
def public_groups():
    """Public groups, searchable by name: ?q=&limit=."""
    found = list_public_groups(request.args.get("q", ""), limit=check_limit(request.args.get("limit")))
    return jsonify({"ok": True, "groups": [conversation_payload(group, member_count=count)
                                           for group, count in found]})


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
    """Owners and admins rename: {name?, description?}."""
    payload = json_body()
    group = update_group(api_user(), conversation_id, payload.get("name"), payload.get("description"))
    return jsonify({"ok": True, "conversation": conversation_payload(group)})


@bp.post("/groups/<id:conversation_id>/members")
def add(conversation_id: int):
    """Owners and admins add {user_id}."""
    membership = add_member(api_user(), conversation_id, check_id(json_body().get("user_id"), "user_id"))
    return jsonify({"ok": True, "member": member_payload(membership)}), 201


@bp.delete("/groups/<id:conversation_id>/members/<id:user_id>")
def remove(conversation_id: int, user_id: int):
    """Owners and admins remove a member."""
    remove_member(api_user(), conversation_id, user_id)
    return jsonify({"ok": True})


@bp.patch("/groups/<id:conversation_id>/members/<id:user_id>")
def set_role(conversation_id: int, user_id: int):
    """Set a member's {role}: owner, admin or member."""
    membership = set_member_role(api_user(), conversation_id, user_id, json_body().get("role"))
    return jsonify({"ok": True, "member": member_payload(membership)})
