"""The reference for bench/connect.py and bench/send.py: a bare Flask-SocketIO server under gunicorn's
gevent worker, as Switchboard is served, that authenticates a connect the cheapest way (a token in a
set in memory, no database) and joins the connection to its user's room; and acknowledges a
`message:send` with the message as Switchboard's ack shapes it, storing nothing; nothing else.
With a table (`BARE_TABLE`, a JSON file {"tokens": {token: user_id}, "conversations": {id: [user_id...]}},
as bench/node/reference-server.js reads it) a connect also joins its user's conversations' rooms, and a
send to a conversation of the table goes to its room as `message:new` (bench/fanout_rates.py).

    cd bench && gunicorn -k gevent -w 1 --worker-connections 12000 bare_server:app
"""
from __future__ import annotations

import json
import os

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

TOKENS = {f"bare-{number}": number for number in range(int(os.environ.get("BARE_USERS", "1000")))}
CONVERSATIONS: dict[int, list[int]] = {}  # conversation id -> its members' user ids
if os.environ.get("BARE_TABLE"):
    with open(os.environ["BARE_TABLE"]) as table_file:
        TABLE = json.load(table_file)
    TOKENS = TABLE["tokens"]
    CONVERSATIONS = {int(conversation): members for conversation, members in TABLE["conversations"].items()}
ROOMS = {user: [f"conversation:{conversation}" for conversation, members in CONVERSATIONS.items() if user in members]
         for user in set(TOKENS.values())}

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
    for room in ROOMS[user]:
        join_room(room)
    join_room(request.sid)  # python-socketio does this already; as cheap as it gets


SENT = {"count": 0}


@socketio.on("message:send")
def on_message_send(payload):
    """The ack of a send, as cheap as it gets: nothing stored (bench/send.py); sent to the conversation's
    room when the table has it (bench/fanout_rates.py), before the ack (a handler's ack leaves when it returns)."""
    SENT["count"] += 1
    message = {"id": SENT["count"], "conversation_id": payload.get("conversation_id"), "seq": SENT["count"],
               "body": payload.get("body"), "client_id": payload.get("client_id")}
    if message["conversation_id"] in CONVERSATIONS:
        socketio.emit("message:new", {"message": message}, to=f"conversation:{message['conversation_id']}")
    return {"ok": True, "duplicate": False, "message": message}
