"""Servers for the delivery tests: one gunicorn on SQLite (the session's `live_server`), one on
PostgreSQL, and two on PostgreSQL + Redis, as a scaled-out deployment runs them."""
from __future__ import annotations

import pytest

from tests.engines import PostgresServer
from tests.servers import LiveServer, start_instances

DEPLOYMENTS = ("sqlite", "postgres", "two-instances")


@pytest.fixture(scope="package")
def postgres_cluster():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def postgres_instance(tmp_path_factory, postgres_cluster):
    server = LiveServer(tmp_path_factory.mktemp("delivery-pg"), env={"DATABASE_URL": postgres_cluster.url},
                        jobs=False)
    server.migrate()
    yield server.start()
    server.stop()


@pytest.fixture(scope="package")
def two_instances(tmp_path_factory, postgres_cluster, redis_server):
    env = {"DATABASE_URL": postgres_cluster.create_database("scaleout"), "SOCKETIO_MESSAGE_QUEUE": redis_server.url}
    instances = start_instances([tmp_path_factory.mktemp("delivery-1"), tmp_path_factory.mktemp("delivery-2")], env,
                                jobs=False)
    yield tuple(instances)
    for instance in instances:
        instance.stop()


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request) -> tuple[LiveServer, ...]:
    """The servers of one deployment: clients spread over them, they share one database."""
    if request.param == "sqlite":
        return (request.getfixturevalue("live_server"),)
    if request.param == "postgres":
        return (request.getfixturevalue("postgres_instance"),)
    return request.getfixturevalue("two_instances")
