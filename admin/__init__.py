"""The operator back office at /admin (Flask-Admin). Only the admin role gets in.

Every panel inherits admin.security's one access rule, and every change an operator
makes goes through a domain action that also writes the audit log.
"""
from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from actions.access import is_operator
from admin.audit import AuditLogView
from admin.broadcasts import BroadcastView
from admin.dashboard import SecureIndexView
from admin.exports import ExportView
from admin.files import FileView
from admin.groups import GroupView
from admin.invites import InviteView
from admin.jobs import JobFailureView, JobsView
from admin.messages import MessageView
from admin.operations import OperationsView
from admin.reports import ReportView
from admin.security import operator_only  # noqa: F401  (kept importable from here)
from admin.security_log import SecurityLogView
from admin.users import UserView
from models import Attachment, AuditEntry, Conversation, Invite, JobFailure, Message, Report, SecurityEvent, User


def init_admin(app: Flask) -> Admin:
    admin = Admin(app, name="Switchboard", index_view=SecureIndexView(name=_l("Dashboard"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/switchboard/base.html"))
    # The chat page offers operators a link here (templates/chat/index.html); who is one: actions.access.
    app.add_template_global(is_operator, "is_operator")
    admin.add_view(UserView(User, name=_l("Users"), endpoint="user"))
    admin.add_view(InviteView(Invite, name=_l("Invitations"), endpoint="invite"))
    admin.add_view(GroupView(Conversation, name=_l("Groups"), endpoint="group"))
    admin.add_view(MessageView(Message, name=_l("Messages"), endpoint="message"))
    admin.add_view(FileView(Attachment, name=_l("Files"), endpoint="attachment"))
    admin.add_view(ReportView(Report, name=_l("Reports"), endpoint="report"))
    admin.add_view(AuditLogView(AuditEntry, name=_l("Audit log"), endpoint="audit"))
    admin.add_view(SecurityLogView(SecurityEvent, name=_l("Security log"), endpoint="security_log"))
    admin.add_view(BroadcastView(name=_l("Broadcast"), endpoint="broadcast"))
    admin.add_view(ExportView(name=_l("Export"), endpoint="export"))
    admin.add_view(JobsView(name=_l("Queue"), endpoint="jobs", category=_l("Jobs")))
    admin.add_view(JobFailureView(JobFailure, name=_l("Failures"), endpoint="job_failure", category=_l("Jobs")))
    admin.add_view(OperationsView(name=_l("Operations"), endpoint="operations"))
    return admin
