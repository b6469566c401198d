"""tests/url_builders.py: the apps of the test process share their rules' URL builders, and each
still builds its own URLs, whatever the rule's defaults."""
from __future__ import annotations

from flask import url_for
from werkzeug.routing import Map, Rule

from tests.database_apps import sqlite_copy
from tests.database_apps import testing_app as app_on_copy


def rule_of(app, endpoint: str) -> Rule:
    (rule,) = app.url_map.iter_rules(endpoint)
    return rule


def test_two_apps_share_a_rules_builders_and_each_builds_its_urls(migrated_sqlite, tmp_path):
    first = app_on_copy(sqlite_copy(migrated_sqlite, tmp_path), tmp_path)
    second = app_on_copy(sqlite_copy(migrated_sqlite, tmp_path), tmp_path)
    history, same_history = rule_of(first, "api.history"), rule_of(second, "api.history")
    assert history is not same_history
    assert history._build_unknown.__func__ is same_history._build_unknown.__func__
    assert history._build.__func__ is same_history._build.__func__
    assert history._build.__func__ is not rule_of(first, "api.me")._build.__func__
    for app in (first, second):
        with app.test_request_context():
            assert url_for("api.history", conversation_id=7, before=3) == "/api/conversations/7/messages?before=3"


def test_rules_that_differ_in_defaults_or_text_keep_builders_of_their_own():
    urls = Map([Rule("/page/<int:number>", endpoint="one", defaults={"number": 1}),
                Rule("/page/<int:number>", endpoint="two", defaults={"number": 2}),
                Rule("/page/<int:number>", endpoint="any"),
                Rule("/pages/<int:number>", endpoint="other")]).bind("example.org")
    assert urls.build("one") == "/page/1"
    assert urls.build("two") == "/page/2"
    assert urls.build("any", {"number": 5}) == "/page/5"
    assert urls.build("other", {"number": 5}) == "/pages/5"
