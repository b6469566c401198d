"""Every test builds an app of its own (tests/database_apps.py), and for each of the app's URL rules
(about 240: the chat, the API, the back office's views) werkzeug compiles two functions that build
its URLs, through `ast` and `compile`: that was two thirds of the time it took to create an app, so
about a tenth of a second of every test's setup.

Those functions depend only on the rule's text, its parts and its defaults, and take the rule itself
as their first argument (werkzeug binds them to it), so in the test process each one is compiled once
and the same rule of every later app gets the same function. Nothing else of the routing is shared:
each app still parses and matches its own rules."""
from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple, Callable] = {}


def _shared_builder(rule: Rule, append_unknown: bool = True) -> Callable:
    defaults = tuple(sorted((name, repr(value)) for name, value in (rule.defaults or {}).items()))
    key = (rule.rule, rule.subdomain, rule.host, tuple(rule._trace), defaults, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(rule, append_unknown)
    return builder


def share_url_builders() -> None:
    """From now on in this process, rules with the same text, parts and defaults share their builders."""
    Rule._compile_builder = _shared_builder
