"""Fixtures of the gateway's live tests: one gunicorn server for the package, gateway clients
(closed after each test), and an operator logged in to the back office (`back_office`)."""
from __future__ import annotations

import pytest

from tests.admin.test_live import OperatorBrowser
from tests.gateway.client import GatewayClient
from tests.servers import own_server


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """Our own server: broadcasts and the live connections count must not meet other tests'. With
    its job consumer, which posts broadcasts to everyone (their frames reach it through the relay)."""
    yield from own_server(tmp_path_factory, "gateway-live")


@pytest.fixture(scope="package")
def back_office(server):
    """An operator's browser in the back office (not tests/conftest.py's `operator`, a User)."""
    return OperatorBrowser(server)


@pytest.fixture
def gateway():
    """Open gateway clients to a server (`gateway(server_url)`); every one is closed after the test."""
    opened: list[GatewayClient] = []

    def open_client(server_url: str) -> GatewayClient:
        client = GatewayClient(server_url)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()
