"""Two gunicorn instances sharing PostgreSQL, Redis and an S3 bucket, as in a scaled-out deployment."""
import pytest

from tests.engines import PostgresServer
from tests.files.conftest import s3_settings, serve_bucket
from tests.ops.live import METRICS_TOKEN
from tests.servers import start_instances


@pytest.fixture(scope="package")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def shared_bucket():
    """moto's S3 server: the instances' files, which a job on either instance's consumer reads."""
    yield from serve_bucket()


@pytest.fixture(scope="package")
def two_instances(tmp_path_factory, redis_server, postgres_server, shared_bucket):
    env = {"DATABASE_URL": postgres_server.url, "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
           "METRICS_TOKEN": METRICS_TOKEN, **s3_settings(shared_bucket.url)}
    instances = start_instances([tmp_path_factory.mktemp("instance1"), tmp_path_factory.mktemp("instance2")], env)
    yield tuple(instances)
    for instance in instances:
        instance.stop()
