"""Broadcast page: a service message to everyone, to a group's members, or to one user."""
from __future__ import annotations

import secrets

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from actions.broadcasts import broadcast_to_everyone, broadcast_to_group, send_notice
from actions.user_admin import get_account_by_username
from actions.validation import check_int
from admin.forms import BroadcastForm
from admin.security import SecureView, attempt, current_operator, flash_form_errors


class BroadcastView(SecureView):
    @expose("/", methods=("GET", "POST"))
    def index(self):
        """Write the message, pick the audience, send."""
        form = BroadcastForm()
        if request.method == "GET":
            form.once.data = secrets.token_urlsafe(16)
        if request.method == "GET" and request.args.get("group_id"):
            form.audience.data = "group"
            form.group_id.data = check_int(request.args.get("group_id"), "group_id", minimum=1)
        if form.validate_on_submit():
            sent = attempt(lambda: self.send(form))
            if sent is not None:
                return redirect(self.get_url(".index"))
        elif request.method == "POST":
            flash_form_errors(form)
        return self.render("admin/switchboard/broadcast.html", form=form)

    def send(self, form: BroadcastForm):
        operator, body, once = current_operator(), form.body.data, form.once.data or None
        if form.audience.data == "group":
            broadcast = broadcast_to_group(operator, check_int(form.group_id.data, "group_id"), body, once)
            done = gettext("Sent to the group.")
        elif form.audience.data == "user":
            broadcast = send_notice(operator, get_account_by_username(form.username.data).id, body, once)
            done = gettext("Sent to the user.")
        else:
            broadcast = broadcast_to_everyone(operator, body, once)
            done = gettext("Sending to %(num)d account(s): the notices go out in the background.",
                           num=broadcast.recipients)
        flash(done, "success")
        return broadcast
