"""The chat page names every module its script imports in its head (blueprints/module_preloads.py), so that
Chromium asks for them all at once: each module the page runs was preloaded, under the very address its
import asks for (else it would be fetched twice), and nothing is preloaded that the page does not run."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CLASSIC_SCRIPTS = {"/static/vendor/socket.io.min.js"}  # a <script src>, not a module


def test_every_module_the_chat_page_runs_was_preloaded_once(chat_page, api_user):
    chat = chat_page()
    requested: list[str] = []  # the scripts of the last page loaded: the chat's, after the login page's

    def record(request) -> None:
        if request.resource_type == "document":
            requested.clear()
        elif request.resource_type == "script":
            requested.append(request.url.removeprefix(chat.base_url))

    chat.page.on("request", record)
    chat.log_in(api_user("mp").username)
    preloaded = chat.page.eval_on_selector_all(
        'link[rel="modulepreload"]', "links => links.map(link => new URL(link.href).pathname)")
    modules = [url for url in requested if url not in CLASSIC_SCRIPTS]
    assert len(modules) > 40 and len(modules) == len(set(modules))  # the chat's modules, each fetched once
    assert sorted(modules) == sorted(preloaded)
    assert preloaded[0] == "/static/js/chat/main.js"
    assert not chat.errors

