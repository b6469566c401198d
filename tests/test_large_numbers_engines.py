"""Numbers the protocol accepts (integers within ±(2^53−1), ids from 1) but the database's 32-bit
columns cannot hold: on PostgreSQL such a parameter was cast to INTEGER and failed (a 500); now it
names nothing, or lies past everything, on both engines (docs/protocol.md, Input rules)."""
from __future__ import annotations

import pytest

from tests.database_apps import ENGINES, engine_app
from tests.helpers import bearer

PAST_32_BITS = 2**31
LARGEST = 2**53 - 1


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.mark.parametrize("number", [PAST_32_BITS, LARGEST])
def test_an_id_past_32_bits_names_nothing(client, alice, group, number):
    headers = bearer(alice)
    assert client.get(f"/api/conversations/{number}/messages", headers=headers).get_json()["error"]["code"] \
        == "conversation_not_found"
    assert client.get(f"/api/files/{number}", headers=headers).status_code == 404
    answer = client.post(f"/api/conversations/{group.id}/messages", headers=headers,
                         json={"body": "a reply", "reply_to": number})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (404, "message_not_found")
    answer = client.post("/api/direct", headers=headers, json={"user_id": number})
    assert answer.status_code == 404


@pytest.mark.parametrize("number", [PAST_32_BITS, LARGEST])
def test_a_position_past_32_bits_lies_past_everything(client, alice, group, number):
    headers = bearer(alice)
    client.post(f"/api/conversations/{group.id}/messages", headers=headers, json={"body": "hello"})
    older = client.get(f"/api/conversations/{group.id}/messages?before={number}", headers=headers)
    assert [message["body"] for message in older.get_json()["messages"]] == ["hello"]
    newer = client.get(f"/api/conversations/{group.id}/messages?after={number}", headers=headers)
    assert newer.get_json()["messages"] == []
    changes = client.get(f"/api/conversations/{group.id}/changes?since={number}", headers=headers)
    assert changes.status_code == 200 and changes.get_json()["messages"] == []
