"""The back office's flashed messages (templates/_flashes.html with alerts): each one an operator can dismiss,
with a real button named for what it does (in the reader's language): with scripts (static/js/flashes.js, the
<template>'s copy: tests/browser/test_back_office_pages.py clicks it) and without (the <noscript> copy, a GET of
the same page, which shows the message no more). Before, the back office lost Flask-Admin's close button when
its messages moved to templates/_flashes.html: a message stayed until the next page."""
from __future__ import annotations

import re

from flask import flash, render_template_string

from tests.admin.conftest import reload

ZH = {"Accept-Language": "zh-CN"}
DISMISS = '<button type="{}" class="close flash-dismiss" aria-label="{}">'


def the_copies(page: str) -> tuple[str, str]:
    """The messages as flashes.js shows them (the <template>) and as a page without scripts does (<noscript>)."""
    scripted = page.split('<template class="flash-messages">')[1].split("</template>")[0]
    unscripted = page.split("<noscript>")[1].split("</noscript>")[0]
    return scripted, unscripted


def test_a_message_has_a_dismiss_button_with_and_without_scripts(operator_client, alice):
    answer = operator_client.post(f"/admin/user/manage/{alice.id}/deactivate", follow_redirects=True)
    assert reload(alice).active is False and answer.request.path == "/admin/user/manage/"
    scripted, unscripted = the_copies(answer.get_data(as_text=True))
    for copy, kind in ((scripted, "button"), (unscripted, "submit")):
        item = re.search(r'<li class="flash success alert alert-success alert-dismissible">(.*?)</li>', copy).group(1)
        assert item.startswith("Account deactivated.") and DISMISS.format(kind, "Dismiss this message") in item
        assert '<span class="fa fa-times" aria-hidden="true"></span></button>' in item  # no text of its own
    # Without scripts, the button asks for the same page again: its address and query, by GET.
    form = re.search(r'<form method="get" action="([^"]*)" class="flash-dismiss-form">(.*?)</form>', unscripted)
    assert form.group(1) == "/admin/user/manage/"
    assert f'<input type="hidden" name="id" value="{alice.id}">' in form.group(2)
    again = operator_client.get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    assert "Account deactivated." not in again and "flash-dismiss" not in again


def test_the_dismiss_button_is_named_in_the_readers_language(operator_client, alice):
    page = operator_client.post(f"/admin/user/manage/{alice.id}/deactivate", follow_redirects=True,
                                headers=ZH).get_data(as_text=True)
    scripted, unscripted = the_copies(page)
    assert DISMISS.format("button", "关闭此消息") in scripted and DISMISS.format("submit", "关闭此消息") in unscripted


def test_a_page_answering_a_post_has_no_reloading_dismiss(app):
    """A page drawn in answer to a POST (a form sent back with its errors) would lose what its form holds if the
    button loaded it again: there the button is the scripted one only."""
    template = "{% from '_flashes.html' import flashes with context %}{{ flashes(alerts=true) }}"
    with app.test_request_context("/admin/user/new/?url=%2Fadmin%2Fuser%2F", method="POST"):
        flash("Failed to create record.", "error")
        scripted, unscripted = the_copies(render_template_string(template))
    assert DISMISS.format("button", "Dismiss this message") in scripted
    assert "Failed to create record." in unscripted and "<form" not in unscripted and "<button" not in unscripted
    with app.test_request_context("/admin/user/?page=2&sort=1", method="GET"):
        flash("Record was successfully deleted.", "success")
        _, unscripted = the_copies(render_template_string(template))
    assert ('<input type="hidden" name="page" value="2"><input type="hidden" name="sort" value="1">'
            in unscripted)


def test_the_chats_pages_messages_have_no_dismiss_button(client):
    page = client.post("/login", data={"username": "nobody", "password": "wrong"}).get_data(as_text=True)
    assert "Wrong username or password." in page and "flash-dismiss" not in page
