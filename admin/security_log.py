"""Security log panel: logins (how, from where, which browser), failed logins, lockouts and their
lifting, password changes and resets, ended sessions. Read-only, with filters, for operators only
(admin.security); rows go after SECURITY_LOG_DAYS (actions/security_log.py)."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, FilterEqual
from flask_babel import lazy_gettext as _l

from actions.security_log import KINDS
from admin.filters import IntEqualFilter
from admin.search import ContainsFilter
from admin.security import SecureModelView
from models import SecurityEvent


class SecurityLogView(SecureModelView):
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ("created_at", "kind", "username", "address", "user_agent", "detail")
    column_details_list = ("id", *column_list, "user_id")
    column_filters = (
        ContainsFilter(SecurityEvent.username, _l("Account")),
        FilterEqual(SecurityEvent.kind, _l("Kind"), options=[(kind, kind) for kind in KINDS]),
        ContainsFilter(SecurityEvent.address, _l("Address")),
        IntEqualFilter(SecurityEvent.user_id, _l("User id")),
        DateTimeBetweenFilter(SecurityEvent.created_at, _l("When")),
    )
    column_sortable_list = ("created_at", "kind", "username", "address")
    column_default_sort = ("id", True)
    column_labels = {"created_at": _l("When"), "username": _l("Account"), "user_agent": _l("Browser")}
