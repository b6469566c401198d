"""Audit log panel: read-only, with filters. Nothing here (or anywhere) edits or deletes an entry.

Who acted and what on are shown by name and linked to their pages (admin.links), and so are the
ids inside an entry's before and after (a member added, a report's message), with the id kept."""
from __future__ import annotations

import json
from collections import defaultdict

from flask import g
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.filters import IntEqualFilter
from admin.links import TARGETS, load_named, target_link, user_link
from admin.search import ContainsFilter
from admin.security import SecureModelView
from models import AuditEntry

# Fields of before/after that hold ids, and the kind of row they name (admin.links.TARGETS).
LINKED_FIELDS = {"user_id": "user", "sender_id": "user", "member_ids": "user", "message_id": "message",
                 "conversation_id": "group"}


def _value(field: str, value) -> Markup | str:
    kind = LINKED_FIELDS.get(field)
    linked = TARGETS.get(kind)
    if linked is not None and isinstance(value, int):
        named = linked(value)
        # A user's or group's link shows a name: the id follows it, muted. A message's link ("message #7
        # in General") and a gone row's text ("user #7") say the id already.
        if isinstance(named, Markup) and kind in ("user", "group"):
            return Markup("{} <small class='text-muted'>#{}</small>").format(named, value)
        return named
    if linked is not None and isinstance(value, list) and all(isinstance(item, int) for item in value):
        return Markup(", ").join(linked(item) for item in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _fields(view, context, entry, name):
    """before/after as `field: value` lines, ids as linked names."""
    value = getattr(entry, name)
    if value is None:
        return ""
    if not isinstance(value, dict):
        return _value(name, value)
    rows = Markup("").join(Markup("<dt class='col-5 text-truncate'>{}</dt><dd class='col-7 mb-0 pre-wrap'>{}</dd>")
                           .format(field, _value(field, value[field])) for field in sorted(value))
    return Markup("<dl class='row mb-0 audit-fields'>{}</dl>").format(rows)


def _actor(view, context, entry, name):
    return Markup("{}").format(user_link(entry.actor_id)) if entry.actor_id else entry.actor_name


def _target(view, context, entry, name):
    return target_link(entry.target_type, entry.target_id)


def named_ids(entries: list[AuditEntry]) -> dict[str, set]:
    """The ids the entries' links name, by kind: operators, targets, and ids in before and after."""
    ids = defaultdict(set)
    for entry in entries:
        ids["user"].add(entry.actor_id)
        ids[entry.target_type].add(entry.target_id)
        for field, value in {**(entry.before or {}), **(entry.after or {})}.items():
            if field in LINKED_FIELDS:
                ids[LINKED_FIELDS[field]].update(item for item in (value if isinstance(value, list) else [value])
                                                 if isinstance(item, int))
    return ids


class AuditLogView(SecureModelView):
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ("created_at", "actor_name", "action", "target_id", "before", "after")
    column_details_list = ("id", "created_at", "actor_name", "action", "target_type", "target_id", "before", "after",
                           "actor_id")
    column_filters = (
        ContainsFilter(AuditEntry.actor_name, _l("Operator")),
        ContainsFilter(AuditEntry.action, _l("Action")),
        FilterEqual(AuditEntry.target_type, _l("Target type")),
        IntEqualFilter(AuditEntry.target_id, _l("Target id")),
        DateTimeBetweenFilter(AuditEntry.created_at, _l("When")),
    )
    column_sortable_list = ("created_at", "actor_name", "action", "target_id")
    column_default_sort = ("id", True)
    column_labels = {"actor_name": _l("Operator"), "created_at": _l("When"), "target_type": _l("Target type"),
                     "target_id": _l("Target")}
    column_formatters = {"before": _fields, "after": _fields, "actor_name": _actor, "target_id": _target}
    column_formatters_detail = column_formatters

    def get_list(self, *args, **kwargs):
        count, entries = super().get_list(*args, **kwargs)
        # Held for the request, the rows the page names are loaded together (admin.links.load_named).
        g.audit_named_rows = load_named(named_ids(entries))
        return count, entries
