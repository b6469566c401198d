"""Fixtures for the files tests: moto's standalone S3 server, and live gunicorn servers on
the local and the S3 backend (started once per session, on free 127.0.0.1 ports).

moto's server checks neither presigned signatures nor their expiry nor POST policies
(size range, content type): tests against it only show what *our* server does.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator

import boto3
import pytest
import requests

from tests.servers import VENV_BIN, LiveServer, free_port, wait_for

BUCKET = "switchboard-test"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
LIVE_UPLOAD_MAX_BYTES = 200_000


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self.process = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: requests.get(self.url, timeout=1).status_code < 500, what="moto_server")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def s3_settings(endpoint_url: str) -> dict:
    """A server's settings for BUCKET behind `endpoint_url` (moto's server, or a relay to it), with the test
    credentials."""
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_REGION": REGION, "S3_ENDPOINT_URL": endpoint_url,
            **CREDENTIALS}


def serve_bucket() -> Iterator[MotoServer]:
    """A fixture's body (`yield from serve_bucket()`): moto's server with the BUCKET made, stopped after."""
    server = MotoServer().start()
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto():
    yield from serve_bucket()


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory):
    """Starts a live server per backend on first use; stops them all at the end."""
    started: dict[str, LiveServer] = {}

    def start(backend: str, extra_env: dict) -> LiveServer:
        if backend not in started:
            env = {"STORAGE_BACKEND": backend, "UPLOAD_MAX_BYTES": str(LIVE_UPLOAD_MAX_BYTES), **extra_env}
            server = LiveServer(tmp_path_factory.mktemp(f"files-{backend}"), env=env)
            server.migrate()
            started[backend] = server.start()
        return started[backend]

    yield start
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def local_server(live_servers):
    return live_servers("local", {})


@pytest.fixture(scope="session")
def s3_server(live_servers, moto):
    return live_servers("s3", s3_settings(moto.url))


@pytest.fixture(params=["local", "s3"])
def server(request):
    """Each test using it runs once per backend."""
    return request.getfixturevalue(f"{request.param}_server")
