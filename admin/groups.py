"""Groups panel: member counts and last activity, search, edit, archive, delete, and members."""
from __future__ import annotations

from flask import abort, g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import lazy_gettext as _l

from actions.access import get_group
from actions.group_admin import (
    add_group_member,
    delete_group,
    edit_group,
    group_members,
    member_counts,
    remove_group_member,
    set_group_archived,
    set_group_member_role,
)
from actions.user_admin import get_account_by_username
from actions.validation import check_int
from admin.forms import AddMemberForm, GroupEditForm, MemberRoleForm
from admin.security import SecureModelView, attempt, attempt_each, current_operator, flash_form_errors
from extensions import db
from models import Conversation
from models.conversation import VISIBILITIES


class GroupView(SecureModelView):
    can_edit = can_delete = True
    column_list = ("name", "visibility", "members", "last_message_at", "archived_at", "created_at")
    column_searchable_list = ("name", "description")
    column_filters = ("visibility", "archived_at", "created_at", "last_message_at")
    column_choices = {"visibility": [(visibility, visibility) for visibility in VISIBILITIES]}
    column_sortable_list = ("name", "visibility", "last_message_at", "archived_at", "created_at")
    column_default_sort = ("last_message_at", True)
    column_labels = {"last_message_at": _l("Last activity"), "archived_at": _l("Archived")}
    column_formatters = {"members": lambda view, context, group, name: view.member_count(group.id)}
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-users", ".members_view", title=_l("Members")),
        EndpointLinkRowAction("fa fa-bullhorn", "broadcast.index", title=_l("Broadcast to members"), id_arg="group_id"),
    ]

    def get_query(self):
        return super().get_query().filter(Conversation.kind == "group")

    def get_count_query(self):
        return super().get_count_query().filter(Conversation.kind == "group")

    def get_one(self, id):
        group = super().get_one(id)
        return group if group is not None and group.is_group else None

    def get_list(self, *args, **kwargs):
        count, groups = super().get_list(*args, **kwargs)
        # One query for the page's member counts, read by the "members" column.
        g.group_member_counts = member_counts([group.id for group in groups])
        return count, groups

    def member_count(self, group_id: int) -> int:
        return g.get("group_member_counts", {}).get(group_id, 0)

    def get_edit_form(self):
        return GroupEditForm

    def update_model(self, form, model):
        """Rename or describe through actions.group_admin.edit_group."""
        return attempt(lambda: edit_group(current_operator(), model.id, form.name.data,
                                          form.description.data or "")) is not None

    def delete_model(self, model):
        """Delete through actions.group_admin.delete_group (members' pages drop the group)."""
        return attempt(lambda: delete_group(current_operator(), model.id) or True) is not None

    @action("archive", _l("Archive"), _l("Archive the selected groups? Members keep reading; nobody can post."))
    def action_archive(self, ids):
        attempt_each(ids, lambda group_id: _set_archived(group_id, True), _l("group(s) archived"))

    @action("unarchive", _l("Unarchive"), _l("Unarchive the selected groups?"))
    def action_unarchive(self, ids):
        attempt_each(ids, lambda group_id: _set_archived(group_id, False), _l("group(s) unarchived"))

    @expose("/members/", methods=("GET",))
    def members_view(self):
        """A group's members: add, remove, set owner/admin/member; archive or unarchive."""
        group = attempt(lambda: get_group(check_int(request.args.get("id"), "id")))
        if group is None:
            return redirect(self.get_url(".index_view"))
        return self.render("admin/switchboard/group_members.html", group=group, members=group_members(group.id),
                           add_form=AddMemberForm(), role_form=MemberRoleForm)

    @expose("/members/<id:group_id>/add", methods=("POST",))
    def add_member_view(self, group_id: int):
        """Add a user, by username, as a member."""
        form = AddMemberForm()
        if form.validate_on_submit():
            attempt(lambda: add_group_member(current_operator(), group_id,
                                             get_account_by_username(form.username.data).id),
                    _l("Member added."))
        else:
            flash_form_errors(form)
        return redirect(self.get_url(".members_view", id=group_id))

    @expose("/members/<id:group_id>/<id:user_id>/remove", methods=("POST",))
    def remove_member_view(self, group_id: int, user_id: int):
        """Remove a member."""
        attempt(lambda: remove_group_member(current_operator(), group_id, user_id), _l("Member removed."))
        return redirect(self.get_url(".members_view", id=group_id))

    @expose("/members/<id:group_id>/<id:user_id>/role", methods=("POST",))
    def member_role_view(self, group_id: int, user_id: int):
        """Make a member owner, admin or member."""
        form = MemberRoleForm()
        if form.validate_on_submit():
            attempt(lambda: set_group_member_role(current_operator(), group_id, user_id, form.role.data),
                    _l("Role changed."))
        else:
            flash_form_errors(form)
        return redirect(self.get_url(".members_view", id=group_id))

    @expose("/archive/<id:group_id>/<state>", methods=("POST",))
    def archive_view(self, group_id: int, state: str):
        """Archive or unarchive one group."""
        if state not in ("on", "off"):
            abort(404)
        attempt(lambda: set_group_archived(current_operator(), group_id, state == "on"),
                _l("Group archived.") if state == "on" else _l("Group unarchived."))
        return redirect(self.get_url(".members_view", id=group_id))


def _set_archived(group_id: int, archived: bool):
    """Archive or unarchive; the group if this changed it; None (not counted in the notice) for one already
    so, which set_group_archived leaves as it is."""
    # Its column, not the group: the action reads the group itself, under its lock.
    was_archived = db.session.scalar(db.select(Conversation.archived_at).where(Conversation.id == group_id))
    changing = archived != (was_archived is not None)
    group = set_group_archived(current_operator(), group_id, archived)
    return group if changing else None
