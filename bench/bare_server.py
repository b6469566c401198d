"""The reference for bench/connect.py and bench/send.py: a bare Flask-SocketIO server under gunicorn's
gevent worker, as Switchboard is served, that authenticates a connect the cheapest way (a token in a
set in memory, no database) and joins the connection to its user's room; and acknowledges a
`message:send` with the message as Switchboard's ack shapes it, storing nothing; nothing else.

    cd bench && gunicorn -k gevent -w 1 --worker-connections 12000 bare_server:app
"""
from __future__ import annotations

import os

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

TOKENS = {f"bare-{number}": number for number in range(int(os.environ.get("BARE_USERS", "1000")))}

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")


@app.get("/healthz")
def healthz():
    return {"ok": True}


@socketio.on("connect")
def on_connect(auth=None):
    user = TOKENS.get((auth or {}).get("token")) if isinstance(auth, dict) else None
    if user is None:
        raise ConnectionRefusedError("unauthorized")
    join_room(f"user:{user}")
    join_room(request.sid)  # python-socketio does this already; as cheap as it gets


SENT = {"count": 0}


@socketio.on("message:send")
def on_message_send(payload):
    """The ack of a send, as cheap as it gets: nothing stored, nothing fanned out (bench/send.py)."""
    SENT["count"] += 1
    return {"ok": True, "duplicate": False, "message": {
        "id": SENT["count"], "conversation_id": payload.get("conversation_id"), "seq": SENT["count"],
        "body": payload.get("body"), "client_id": payload.get("client_id")}}
