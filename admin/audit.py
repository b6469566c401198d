"""Audit log panel: read-only, with filters. Nothing here (or anywhere) edits or deletes an entry."""
from __future__ import annotations

import json

from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, FilterEqual, IntEqualFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.search import ContainsFilter
from admin.security import SecureModelView
from models import AuditEntry


def _json(view, context, entry, name):
    value = getattr(entry, name)
    if value is None:
        return ""
    return Markup("<pre class='mb-0 pre-wrap'>{}</pre>").format(
        json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False))


class AuditLogView(SecureModelView):
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ("created_at", "actor_name", "action", "target_type", "target_id", "before", "after")
    column_details_list = ("id", *column_list, "actor_id")
    column_filters = (
        ContainsFilter(AuditEntry.actor_name, "Operator"),
        ContainsFilter(AuditEntry.action, "Action"),
        FilterEqual(AuditEntry.target_type, "Target type"),
        IntEqualFilter(AuditEntry.target_id, "Target id"),
        DateTimeBetweenFilter(AuditEntry.created_at, "When"),
    )
    column_sortable_list = ("created_at", "actor_name", "action", "target_type", "target_id")
    column_default_sort = ("id", True)
    column_labels = {"actor_name": _l("Operator"), "created_at": _l("When"), "target_type": _l("Target"),
                     "target_id": _l("Id")}
    column_formatters = {"before": _json, "after": _json}
    column_formatters_detail = column_formatters
