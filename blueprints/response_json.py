"""Flask's JSON for the app (`app.json`): a view's answer written by blueprints.client_json.dumps_bytes.
Apart from the reader and writer themselves, which the gateway's codec uses without Flask."""
from __future__ import annotations

from flask import Response
from flask.json.provider import DefaultJSONProvider

from blueprints.client_json import dumps_bytes


class ResponseJSON(DefaultJSONProvider):
    """Flask's JSON for the app (`app.json`): a view's dict or list becomes a response written by
    `dumps_bytes`, keys in the order each payload names them (no client may rely on an order). Debug
    mode's indented answers, and every other use (`dumps`: the templates' `tojson`), stay Flask's own."""

    sort_keys = False

    def response(self, *args, **kwargs) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        body = dumps_bytes(self._prepare_response_obj(args, kwargs), self.default)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)
