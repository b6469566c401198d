"""`/ws/im`: the gateway's WebSocket, served by the same gevent process as everything else.

The view accepts the WebSocket on the request's own socket (simple-websocket, as flask-sock and
python-engineio do; realtime.websocket_frames makes its writes whole) and serves the connection
until it closes (gateway.session). The request's own unit of work is closed first, empty: each
command runs a unit of its own.
"""
from __future__ import annotations

import simple_websocket
from flask import Blueprint, Response, current_app, request
from wsproto.utilities import ProtocolError

from blueprints.http_unit import leave_unit
from gateway.connection import Connection
from gateway.packets import HEADER_SIZE
from gateway.session import serve
from ops.metrics import connection_closed, connection_opened
from realtime.websocket_handshake import AnsweredFromEnviron, not_an_upgrade, upgrade_request

bp = Blueprint("gateway", __name__)
PATH = "/ws/im"  # also refused while the process shuts down (blueprints.chat.socket_queue.refusing_new_connections)


class GatewayWebSocket(AnsweredFromEnviron, simple_websocket.Server):
    """simple-websocket's server (with its reader: the gateway waits for packets with a timeout), its
    upgrade answered from the environ."""


# werkzeug routes only WebSocket handshakes (Upgrade: websocket) to a websocket rule: any other
# request is answered 400 bad_request before it reaches the view.
@bp.route(PATH, websocket=True)
def websocket():
    """A bzGhost client's WebSocket (docs/gateway.md): binary packets both ways until either side closes."""
    leave_unit()
    if upgrade_request(request.environ) is None:  # no key, another version: wsproto would raise (a 500)
        raise not_an_upgrade(PATH)
    app = current_app._get_current_object()
    config = app.config
    try:
        ws = GatewayWebSocket(request.environ, max_message_size=config["GATEWAY_MAX_PACKET_BYTES"] + HEADER_SIZE)
    except (simple_websocket.ConnectionError, RuntimeError, ProtocolError):  # whatever else wsproto refuses
        raise not_an_upgrade(PATH) from None
    app.extensions["realtime_bus"].start_receiving()  # this process now has connections to deliver to
    delivery = app.extensions["gateway_delivery"]
    connection = Connection(ws, request.remote_addr, config["GATEWAY_SEND_QUEUE"], delivery.start_background_task,
                            delivery.sleep)
    connection_opened("im")
    delivery.open.add(connection)
    try:
        serve(app, connection)
    finally:
        connection_closed("im")
    return ClosedWebSocket(ws.mode)


class ClosedWebSocket(Response):
    """What the view returns once the connection is over: nothing more may be written on its
    socket, so the WSGI server is told to drop it (as flask-sock does)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def __call__(self, environ, start_response):
        if self.mode == "gunicorn":
            raise StopIteration()  # gunicorn's async workers close the connection
        if self.mode == "werkzeug":
            raise ConnectionError()  # the development server does the same
        return []
