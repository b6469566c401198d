"""The back office under the Content-Security-Policy: no page has inline script, inline style or
handler attributes, and the Flask-Admin templates overridden to get there (templates/admin/)
stay Flask-Admin's own but for that (and its page, copied for accessibility, keeps all of Flask-Admin's
lines). In a real browser: tests/browser/test_content_security_policy.py."""
from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import flask_admin
import pytest

from actions.moderation import hide_message
from extensions import db
from models import JobFailure
from tests.test_security_headers import INLINE

FLASK_ADMIN_TEMPLATES = Path(flask_admin.__file__).parent / "templates" / "bootstrap4" / "admin"
OUR_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "admin"
# Each override: Flask-Admin's template with these replacements (handlers become data
# attributes that static/js/admin.js acts on), under a one-line comment saying so.
OVERRIDES = {
    "actions.html": [(
        """onclick="return modelActions.execute('{{ p[0] }}');">""", '''data-model-action="{{ p[0] }}">''')],
    "model/row_actions.html": [
        ("""<form class="icon" method="POST" action="{{ get_url('.delete_view') }}">""",
         """<form class="icon" method="POST" action="{{ get_url('.delete_view') }}" """
         """data-confirm="{{ _gettext('Are you sure you want to delete this record?') }}">"""),
        ("""<button onclick="return faHelpers.safeConfirm('{{ _gettext('Are you sure you want to delete this """
         """record?') }}');" title=""", '''<button title=''')],
    "model/layout.html": [(''' class="dropdown-item filter" onclick="return false;">''',
                           ''' class="dropdown-item filter">'''),
                          # and the page sizes translated: Flask-Admin looks up "20 items", in no catalogue
                          ("""{{ _ngettext('{} item'.format(option), '{} items'.format(option), option) }}""",
                           """{{ option }} {{ _gettext('items') }}""")],
}


@pytest.mark.parametrize("name", OVERRIDES)
def test_overrides_are_flask_admins_templates_without_inline_handlers(name):
    expected = (FLASK_ADMIN_TEMPLATES / name).read_text()
    for original, replacement in OVERRIDES[name]:
        assert expected.count(original) == 1, f"Flask-Admin changed {name}: update templates/admin/{name}"
        expected = expected.replace(original, replacement)
    comment, ours = (OUR_TEMPLATES / name).read_text().split("\n", 1)
    assert comment.startswith("{# Flask-Admin's bootstrap4/admin/") and ours == expected


def test_the_base_template_is_flask_admins_with_lines_added():
    """templates/admin/switchboard/base.html copies Flask-Admin's page (its <html> is in no block, so
    the lang attribute cannot be added by extending it): every line of Flask-Admin's is kept, <html>
    alone changed (and the navigation toggle's name, translated, and its messages drawn as every page's,
    templates/_flashes.html), so a Flask-Admin upgrade that changes its page fails here until the copy follows."""
    original = (FLASK_ADMIN_TEMPLATES / "base.html").read_text().splitlines()
    ours = (OUR_TEMPLATES / "switchboard" / "base.html").read_text().splitlines()
    changed = [line for tag, start, end, _, _ in SequenceMatcher(None, original, ours, autojunk=False).get_opcodes()
               if tag in ("replace", "delete") for line in original[start:end]]
    toggle = " " * 20 + 'aria-controls="admin-navbar-collapse" aria-expanded="false" aria-label="Toggle navigation">'
    messages = " " * 12 + "{{ layout.messages() }}"
    assert changed == ["<html>", toggle, messages], "Flask-Admin changed bootstrap4/admin/base.html: update our copy"


def test_no_back_office_page_has_inline_script_style_or_handlers(operator_client, operator, world):
    hide_message(operator, world.message.id)  # rows in the audit log
    db.session.add(JobFailure(task_id="t-1", job_name="jobs.example", arguments=[1], status="failed",
                              attempts=6, error="RuntimeError: no", traceback="Traceback (most recent call last)"))
    db.session.commit()
    sender = world.message.sender_id
    pages = ["/admin/", "/admin/user/", f"/admin/user/manage/?id={sender}", f"/admin/user/edit/?id={sender}",
             f"/admin/user/details/?id={sender}", "/admin/user/new/", "/admin/group/",
             f"/admin/group/members/?id={world.group.id}", f"/admin/group/edit/?id={world.group.id}",
             "/admin/message/", f"/admin/message/context/?id={world.message.id}", "/admin/attachment/",
             "/admin/report/", f"/admin/report/review/?id={world.report.id}", "/admin/audit/", "/admin/broadcast/",
             "/admin/export/", "/admin/jobs/", "/admin/job_failure/", "/admin/audit/details/?id=1",
             "/admin/job_failure/details/?id=1", "/admin/operations/", "/admin/invite/", "/admin/invite/new/"]
    for path in pages:
        response = operator_client.get(path)
        assert response.status_code == 200, path
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], path
        assert INLINE.findall(response.get_data(as_text=True)) == [], path
