"""Two gunicorn instances sharing PostgreSQL and Redis, as in a scaled-out deployment."""
import pytest

from tests.engines import PostgresServer
from tests.ops.live import METRICS_TOKEN
from tests.servers import start_instances


@pytest.fixture(scope="package")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def two_instances(tmp_path_factory, redis_server, postgres_server):
    env = {"DATABASE_URL": postgres_server.url, "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
           "METRICS_TOKEN": METRICS_TOKEN}
    instances = start_instances([tmp_path_factory.mktemp("instance1"), tmp_path_factory.mktemp("instance2")], env)
    yield tuple(instances)
    for instance in instances:
        instance.stop()
