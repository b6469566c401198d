"""Users panel: search and filter accounts, create and edit them; each account's page shows its
messages, reports, sessions and audit entries, and ends sessions, resets passwords, promotes and
demotes, suspends until a date, deactivates (ban) and reactivates. The password hash is never shown."""
from __future__ import annotations

from flask import abort, g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import lazy_gettext as _l

from actions.account_overview import account_overview
from actions.lockout import lift_lockout, lockout_state
from actions.profiles import reset_profile
from actions.two_factor import reset_two_factor
from actions.user_admin import (
    create_user,
    deactivate_user,
    edit_user,
    end_user_session,
    end_user_sessions,
    reactivate_user,
    reset_password,
    set_user_role,
    suspend_user,
    unsuspend_user,
)
from actions.validation import check_int
from admin.audit import named_ids
from admin.forms import ResetPasswordForm, SuspendForm, UserCreateForm, UserEditForm
from admin.links import conversation_link, link, load_named, target_link, user_link
from admin.security import SecureModelView, attempt, attempt_each, current_operator, flash_form_errors
from models.user import ROLES

# Every list, detail and search names its columns: password_hash can appear nowhere.
USER_COLUMNS = ("username", "display_name", "email", "phone", "role", "active", "must_change_password",
                "created_at", "confirmed_at", "last_seen_at", "deactivated_at", "suspended_until")


class UserView(SecureModelView):
    can_create = can_edit = True
    can_view_details = True
    column_list = USER_COLUMNS
    column_details_list = ("id", *USER_COLUMNS)
    column_exclude_list = ("password_hash",)
    form_excluded_columns = ("password_hash",)
    column_searchable_list = ("username", "display_name", "email", "phone")
    # confirmed_at empty: registered with an address whose code was never entered (REGISTRATION=email/phone).
    column_filters = ("role", "active", "created_at", "confirmed_at", "last_seen_at", "deactivated_at",
                      "suspended_until")
    column_choices = {"role": [(role, role) for role in ROLES]}
    column_sortable_list = ("username", "display_name", "role", "active", "created_at", "last_seen_at",
                            "deactivated_at")
    column_default_sort = ("created_at", True)
    column_labels = {"must_change_password": _l("Must change password"), "last_seen_at": _l("Last seen"),
                     "confirmed_at": _l("Confirmed")}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-user-secret", ".manage_view", title=_l("Manage account"))]
    # The username opens the account's page (messages, reports, sessions, audit, operations).
    column_formatters = {"username": lambda view, context, user, name: link(view.get_url(".manage_view", id=user.id),
                                                                            user.username)}

    def get_create_form(self):
        return UserCreateForm

    def get_edit_form(self):
        return UserEditForm

    def create_model(self, form):
        """Open an account through actions.user_admin.create_user."""
        user = attempt(lambda: create_user(current_operator(), form.username.data, form.password.data,
                                           form.display_name.data, form.email.data, form.phone.data,
                                           form.role.data, form.must_change_password.data))
        return user or False

    def update_model(self, form, model):
        """Edit names and contact details through actions.user_admin.edit_user."""
        return attempt(lambda: edit_user(current_operator(), model.id, form.username.data, form.display_name.data,
                                         form.email.data, form.phone.data)) is not None

    @expose("/manage/", methods=("GET",))
    def manage_view(self):
        """One account's page: profile, recent messages, reports made and received, sessions, audit
        entries, and every operation (suspend, deactivate, role, password...)."""
        overview = attempt(lambda: account_overview(current_operator(), check_int(request.args.get("id"), "id")))
        if overview is None:
            return redirect(self.get_url(".index_view"))
        # Held for the request, the rows the audit entries name are loaded together (admin.links.load_named).
        g.audit_named_rows = load_named(named_ids(overview.audit_entries))
        return self.render("admin/switchboard/user_manage.html", user=overview.user, overview=overview,
                           reset_form=ResetPasswordForm(), suspend_form=SuspendForm(), operator=current_operator(),
                           sessions=overview.sessions, lockout=lockout_state(overview.user),
                           user_link=user_link, target_link=target_link, conversation_link=conversation_link)

    @expose("/manage/<id:user_id>/suspend", methods=("POST",))
    def suspend_view(self, user_id: int):
        """Suspend until a time, for a reason the user is told; lifted by the first login after it."""
        form = SuspendForm()
        if form.validate_on_submit():
            attempt(lambda: suspend_user(current_operator(), user_id, form.until.data.isoformat(), form.reason.data),
                    _l("Account suspended: its sessions and live connections ended."))
        else:
            flash_form_errors(form)
        return redirect(self.get_url(".manage_view", id=user_id))

    @expose("/manage/<id:user_id>/sessions/<session_id>/end", methods=("POST",))
    def end_session_view(self, user_id: int, session_id: str):
        """Log one session of the account out; its live sockets are cut at once."""
        attempt(lambda: end_user_session(current_operator(), user_id, session_id), _l("Session ended."))
        return redirect(self.get_url(".manage_view", id=user_id))

    @expose("/manage/<id:user_id>/sessions/end-all", methods=("POST",))
    def end_sessions_view(self, user_id: int):
        """Log the account out everywhere."""
        attempt(lambda: end_user_sessions(current_operator(), user_id), _l("Every session of the account ended."))
        return redirect(self.get_url(".manage_view", id=user_id))

    @expose("/manage/<id:user_id>/password", methods=("POST",))
    def reset_password_view(self, user_id: int):
        """Set a temporary password; the user must change it at next login."""
        form = ResetPasswordForm()
        if form.validate_on_submit():
            attempt(lambda: reset_password(current_operator(), user_id, form.temporary_password.data),
                    _l("Password reset: the user must choose a new one at next login."))
        else:
            flash_form_errors(form)
        return redirect(self.get_url(".manage_view", id=user_id))

    @expose("/manage/<id:user_id>/<operation>", methods=("POST",))
    def operate_view(self, user_id: int, operation: str):
        """One-click account operations: deactivate, reactivate, unsuspend, promote, demote, unlock, two-factor
        off (CSRF token checked)."""
        operations = {
            "deactivate": (lambda: deactivate_user(current_operator(), user_id), _l("Account deactivated.")),
            "reactivate": (lambda: reactivate_user(current_operator(), user_id), _l("Account reactivated.")),
            "unsuspend": (lambda: unsuspend_user(current_operator(), user_id), _l("Suspension lifted.")),
            "promote": (lambda: set_user_role(current_operator(), user_id, "admin"), _l("Now an operator.")),
            "demote": (lambda: set_user_role(current_operator(), user_id, "user"), _l("Now a regular user.")),
            "unlock": (lambda: lift_lockout(current_operator(), user_id),
                       _l("Lock lifted: the account may log in again.")),
            "two-factor-off": (lambda: reset_two_factor(current_operator(), user_id),
                               _l("Two-factor authentication is off: the user logs in with the password alone.")),
            "reset-profile": (lambda: reset_profile(current_operator(), user_id),
                              _l("Picture and status line removed.")),
        }
        if operation not in operations:
            abort(404)
        attempt(*operations[operation])
        return redirect(self.get_url(".manage_view", id=user_id))

    @action("deactivate", _l("Deactivate"),
            _l("Deactivate the selected accounts? Their sessions and sockets end at once."))
    def action_deactivate(self, ids):
        attempt_each(ids, lambda user_id: deactivate_user(current_operator(), user_id), _l("account(s) deactivated"))

    @action("reactivate", _l("Reactivate"), _l("Reactivate the selected accounts?"))
    def action_reactivate(self, ids):
        attempt_each(ids, lambda user_id: reactivate_user(current_operator(), user_id), _l("account(s) reactivated"))

    @action("promote", _l("Make operator"), _l("Give the selected accounts the operator (admin) role?"))
    def action_promote(self, ids):
        attempt_each(ids, lambda user_id: set_user_role(current_operator(), user_id, "admin"), _l("operator(s) made"))

    @action("demote", _l("Make regular user"), _l("Take the operator role from the selected accounts?"))
    def action_demote(self, ids):
        attempt_each(ids, lambda user_id: set_user_role(current_operator(), user_id, "user"), _l("user(s) demoted"))

