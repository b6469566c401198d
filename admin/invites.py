"""Invitations panel (REGISTRATION=invite): issue one (its code and link are shown once), see
which are used or expired, revoke them. Each issue and revocation is in the audit log."""
from __future__ import annotations

from flask import flash, url_for
from flask_admin.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from actions.registration import create_invite, revoke_invite
from admin.security import SecureModelView, attempt, attempt_each, current_operator


class InviteForm(FlaskForm):
    uses = IntegerField(_l("Accounts it may open"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)])
    days = IntegerField(_l("Days it works (empty: INVITE_DAYS)"), validators=[Optional(), NumberRange(1, 365)])
    note = StringField(_l("Note (whom it is for)"), validators=[Optional(), Length(max=120)])


class InviteView(SecureModelView):
    can_create = True
    can_view_details = False
    column_list = ("note", "uses_left", "used", "created_by", "created_at", "expires_at", "revoked_at")
    column_labels = {"uses_left": _l("Uses left"), "created_by": _l("Issued by")}
    column_filters = ("created_at", "expires_at", "revoked_at")
    column_sortable_list = ("created_at", "expires_at", "uses_left", "used")
    column_default_sort = ("created_at", True)
    column_formatters = {"created_by": lambda view, context, invite, name:
                         invite.created_by.username if invite.created_by else "(command line)"}

    def get_create_form(self):
        return InviteForm

    def create_model(self, form):
        """Issue through actions.registration.create_invite; the code is shown this once."""
        issued = attempt(lambda: create_invite(current_operator(), form.uses.data, form.days.data, form.note.data))
        if issued is None:
            return False
        link = url_for("auth.register", invite=issued.code, _external=True)
        flash(gettext("Invitation code %(code)s (shown once), or the link %(link)s", code=issued.code, link=link),
              "success")
        return issued.record

    @action("revoke", _l("Revoke"), _l("Revoke the selected invitations? They open no more accounts."))
    def action_revoke(self, ids):
        attempt_each(ids, lambda invite_id: revoke_invite(current_operator(), invite_id), _l("invitations revoked"))
