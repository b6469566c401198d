"""URL converters: `<id:name>` is a row's id in a path, under the same bound as ids in bodies
and socket payloads (actions.validation.check_id: 1 to MAX_SAFE_INTEGER).

Werkzeug's `<id:>` took any run of digits (`/api/conversations/99999999999999999999999`
reached the database, where SQLite raised OverflowError) and any Unicode digit. A path whose
id is out of bounds matches no route: 404 `not_found`, as for a path that names nothing.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from actions.validation import MAX_SAFE_INTEGER


class IdConverter(IntegerConverter):
    regex = r"[0-9]{1,16}"  # MAX_SAFE_INTEGER has 16 digits; ASCII only (\d also matches '١')

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_SAFE_INTEGER)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules are compiled with their converters when added."""
    app.url_map.converters["id"] = IdConverter
