"""SQLite under concurrent writers: 20 clients writing at once through one gunicorn on SQLite
(16 over their sockets, 4 over REST, each with 2 writes in flight, every send retried once with
its client_id), while the job consumer, another process, writes thumbnails of the images they
upload. No "database is locked", no internal_error and no 5xx reaches any client or the log;
every acknowledged message is stored exactly once."""
from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter

import pytest

from tests.faults.conftest import database_rows, server_faults
from tests.files.samples import png_bytes
from tests.integration.chat import create_group, history
from tests.servers import ChatUser, own_server, wait_for
from tests.wire_client import Request, WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

WRITERS = 20
OVER_REST = 4  # of them
IN_FLIGHT = 2
SECONDS = float(os.environ.get("FAULTS_SQLITE_SECONDS", "8"))
UPLOAD_EVERY_SECONDS = 0.5


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """gunicorn on SQLite with its job consumer: two processes writing one database file."""
    yield from own_server(tmp_path_factory, "sqlite-writers", jobs=True)


def test_concurrent_writers_on_sqlite_get_answers_and_store_each_message_once(sqlite_server):
    rng = random.Random(11)
    users = [ChatUser.register(sqlite_server.url) for _ in range(WRITERS)]
    groups = [create_group(users[0], tuple(users[1:])), create_group(users[0], tuple(users[2::2]))]
    hub = WireHub()
    sockets = {user.id: hub.connect(sqlite_server.url, user.token, user.username) for user in users[OVER_REST:]}
    in_flight: dict[int, list[Request]] = {user.id: [] for user in users}
    made: list[Request] = []
    retried: set[str] = set()
    uploads: list[int] = []

    def write(user: ChatUser) -> None:
        conversation_id = rng.choice(groups if user in users[::2] else groups[:1])
        client_id = f"w-{uuid.uuid4().hex}"
        body = {"conversation_id": conversation_id, "body": f"{user.username} {client_id[-6:]}",
                "client_id": client_id}
        for _ in range(2):  # the second is a retry: the same client_id must find the first message
            if user.id in sockets:
                request = sockets[user.id].emit("message:send", body, client_id=client_id)
            else:
                request = hub.call(sqlite_server.url, "POST", f"/conversations/{conversation_id}/messages",
                                   user.token, {"body": body["body"], "client_id": client_id}, client_id=client_id)
            in_flight[user.id].append(request)
            made.append(request)
        retried.add(client_id)

    try:
        started = next_upload = time.monotonic()
        while time.monotonic() < started + SECONDS:
            for user in users:
                in_flight[user.id] = [request for request in in_flight[user.id] if not request.answered]
                if len(in_flight[user.id]) < IN_FLIGHT:
                    write(user)
            if time.monotonic() >= next_upload:  # a thumbnail job for the consumer process to write
                uploader = rng.choice(users)
                uploaded = uploader.api("POST", f"/conversations/{groups[0]}/files",
                                        files={"file": ("i.png", png_bytes(), "image/png")})
                assert uploaded.status_code == 201, uploaded.text
                uploads.append(uploaded.json()["attachment"]["id"])
                next_upload = time.monotonic() + UPLOAD_EVERY_SECONDS
            hub.pump_once(0.01)
        hub.pump(until=lambda: all(request.answered or request.lost for request in made), timeout=60,
                 what="every write answered")

        assert [request for request in made if request.lost] == []
        failed = [request.answer for request in made if not request.answer.get("ok")]
        assert failed == [], failed[:5]
        acknowledged = {request.client_id: request.answer["message"]["id"] for request in made}
        firsts = Counter(request.client_id for request in made if not request.answer["duplicate"])
        assert set(firsts) == retried and set(firsts.values()) == {1}  # exactly one of each pair stored it
        for request in made:
            assert request.answer["message"]["id"] == acknowledged[request.client_id]
        stored = [message for group_id in groups for message in history(users[0], group_id)]
        stored_ids = Counter(message["client_id"] for message in stored)
        assert set(stored_ids) == retried and set(stored_ids.values()) == {1}
        assert {message["id"] for message in stored} == set(acknowledged.values())
        thumbnails = "SELECT count(*) FROM attachments WHERE thumbnail_key IS NOT NULL"
        wait_for(lambda: database_rows(sqlite_server, thumbnails) == [(len(uploads),)], timeout=60,
                 what="every thumbnail, written by the consumer")
        print(f"\nSQLite: {len(made)} writes ({len(retried)} messages, each sent twice), {len(uploads)} uploads "
              f"with their thumbnail jobs, in {SECONDS:.0f} s")
        assert server_faults(sqlite_server) == []
        assert "database is locked" not in sqlite_server.consumer.log_text()
    finally:
        hub.close()
