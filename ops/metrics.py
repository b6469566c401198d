"""Prometheus metrics (prometheus-client), served at /metrics (blueprints.ops).

Two kinds of figures:

- counters and histograms, moved where things happen: messages stored and events delivered by
  `MetricsAdapter`, an adapter of the events dispatcher like the Socket.IO one (it counts the
  facts each commit releases, after the commit); HTTP request and socket event durations by
  the request hooks (ops.logs) and socket_support; send->ack latency by the socket queue;
  message-queue publish errors and resubscriptions by realtime.bus; job failures by
  jobs.failures (in the job consumer).
- gauges read when scraped (`LiveFigures`): connected sockets per transport, online users, job
  queue depth and failures, the database pool. Nothing keeps them up to date, so none can
  drift, and a process that died leaves none behind.

Several processes (PROMETHEUS_MULTIPROC_DIR set in their environment before they start): the
counters and histograms of every process writing into that folder are summed at each scrape
(prometheus-client's multiprocess mode), so a worker restarted by gunicorn, or the job consumer
of the same machine, adds to the same totals. The gauges are the scraping process's, which
with one worker per instance (docs/deployment.md) is the one holding the sockets.

Other transports (the binary gateway) report their connections with `connection_opened(name)`
and `connection_closed(name)`; they appear as `switchboard_connected_sockets{transport=name}`.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter as Tally
from collections import deque
from collections.abc import Iterator, Sequence

from flask import Flask
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from events import facts as f

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
RECENT_SECONDS = 300  # the back office's "last five minutes"


def check_multiprocess_folder(environ) -> None:
    """prometheus-client writes into PROMETHEUS_MULTIPROC_DIR from the first metric made (below, at import):
    a folder that is missing stops the process here, naming the setting as config.py's refusals do, where
    prometheus-client stopped it with a FileNotFoundError of one of its files. Set but empty is refused too:
    prometheus-client counts it as set and writes its files into the current folder. Its old spelling
    `prometheus_multiproc_dir`, which prometheus-client still reads (deprecated) when the upper case one is
    not set, is checked the same way."""
    name = "PROMETHEUS_MULTIPROC_DIR" if "PROMETHEUS_MULTIPROC_DIR" in environ else "prometheus_multiproc_dir"
    folder = environ.get(name)
    if folder is not None and not os.path.isdir(folder):
        raise RuntimeError(f"{name} must be a folder that exists, not {folder!r}")


check_multiprocess_folder(os.environ)

MESSAGES_STORED = Counter("switchboard_messages_stored", "Messages stored (committed MessageCreated facts).")
EVENTS_DELIVERED = Counter("switchboard_events_delivered",
                           "Domain events released to the transports after their commit, by fact.", ["event"])
SEND_ACK_SECONDS = Histogram("switchboard_send_ack_seconds",
                             "message:send, from its arrival at the server to its ack handed to the connection.",
                             buckets=LATENCY_BUCKETS)
HTTP_REQUEST_SECONDS = Histogram("switchboard_http_request_seconds",
                                 "HTTP requests by route template, method and status.",
                                 ["route", "method", "status"], buckets=LATENCY_BUCKETS)
SOCKET_EVENT_SECONDS = Histogram("switchboard_socket_event_seconds",
                                 "Socket.IO events by name and outcome (ok, refused, error).",
                                 ["event", "outcome"], buckets=LATENCY_BUCKETS)
ANSWERS_NOT_WAITED_FOR = Counter("switchboard_answers_not_waited_for",
                                 "Acks and gateway responses whose change was released before they were written "
                                 "(realtime.answer_first), by reason: not_reading, behind.", ["reason"])
BUS_PUBLISH_ERRORS = Counter("switchboard_bus_publish_errors",
                             "Frames that could not be published on the Redis message queue.")
BUS_RECONNECTS = Counter("switchboard_bus_reconnects", "Times the Redis subscription was lost and made again.")
JOB_FAILURES = Counter("switchboard_job_failures", "Failed runs of jobs (in the job consumer), by job.", ["job"])


class RecentSamples:
    """Timed samples of the last RECENT_SECONDS in this process, for the back office's live page."""

    def __init__(self, limit: int = 20_000) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, value: float = 1.0) -> None:
        with self._lock:
            self._samples.append((time.monotonic(), value))

    def values(self, seconds: float = RECENT_SECONDS) -> list[float]:
        since = time.monotonic() - seconds
        with self._lock:
            return [value for at, value in self._samples if at >= since]

    def quantile(self, share: float, seconds: float = RECENT_SECONDS) -> float | None:
        values = sorted(self.values(seconds))
        if not values:
            return None
        return values[min(len(values) - 1, int(share * len(values)))]


recent_send_ack = RecentSamples()
recent_errors = RecentSamples()  # HTTP 5xx answers and socket events that failed with internal_error
_other_connections: Tally[str] = Tally()
_connections_lock = threading.Lock()


def connection_opened(transport: str) -> None:
    """A connection of another transport than Socket.IO (e.g. "im", the binary gateway) opened."""
    with _connections_lock:
        _other_connections[transport] += 1


def connection_closed(transport: str) -> None:
    with _connections_lock:
        _other_connections[transport] = max(_other_connections[transport] - 1, 0)


def observe_send_ack(seconds: float) -> None:
    SEND_ACK_SECONDS.observe(seconds)
    recent_send_ack.add(seconds)


def observe_http_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(route, method, str(status)).observe(seconds)
    if status >= 500:
        recent_errors.add()


def observe_socket_event(event: str, outcome: str, seconds: float) -> None:
    SOCKET_EVENT_SECONDS.labels(event, outcome).observe(seconds)
    if outcome == "error":
        recent_errors.add()


def answer_not_waited_for(reason: str) -> None:
    ANSWERS_NOT_WAITED_FOR.labels(reason).inc()


def bus_publish_failed() -> None:
    BUS_PUBLISH_ERRORS.inc()


def bus_resubscribed() -> None:
    BUS_RECONNECTS.inc()


def job_failed(job_name: str) -> None:
    JOB_FAILURES.labels(job_name).inc()


class MetricsAdapter:
    """An adapter of events.dispatch: counts the facts of each commit once it is committed."""

    def prepare(self, facts: Sequence[f.Fact]) -> Tally[str]:
        return Tally(type(fact).__name__ for fact in facts)

    def deliver(self, counts: Tally[str]) -> None:
        for name, count in counts.items():
            EVENTS_DELIVERED.labels(name).inc(count)
        if counts.get(f.MessageCreated.__name__):
            MESSAGES_STORED.inc(counts[f.MessageCreated.__name__])


def socket_counts(app: Flask) -> Tally[str]:
    """This process's connections by transport: Socket.IO's websocket and polling, and the others'."""
    counts: Tally[str] = Tally({"websocket": 0, "polling": 0})
    socketio = app.extensions.get("socketio")
    server = getattr(socketio, "server", None)
    if server is not None:
        for connection in list(server.eio.sockets.values()):
            if not connection.closed:
                counts["websocket" if connection.upgraded else "polling"] += 1
    with _connections_lock:
        counts.update(_other_connections)
    return counts


class LiveFigures:
    """Gauges read at each scrape, in the app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        # The process's own figures first, all read at the same moment; then those that ask Redis or
        # the database, which may wait.
        for name, read in (("sockets", self._sockets), ("bus", self._bus), ("pool", self._pool),
                           ("presence", self._online_users), ("jobs", self._jobs)):
            try:
                yield from read()
            except Exception as error:  # noqa: BLE001  (a dependency down: that figure is left out)
                log.debug("metrics: %s not collected: %s", name, error)
                self.app.extensions["sqlalchemy"].session.rollback()  # the scrape's own unit stays usable

    def _sockets(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("switchboard_connected_sockets", "Open connections of this process, by transport.",
                                   labels=["transport"])
        for transport, count in sorted(socket_counts(self.app).items()):
            family.add_metric([transport], count)
        yield family

    def _bus(self) -> Iterator[Metric]:
        bus = self.app.extensions["realtime_bus"]
        bus = getattr(bus, "bus", bus)  # jobs.relay.RelayedBus wraps the real one
        yield GaugeMetricFamily("switchboard_bus_degraded",
                                "1 while the Redis message queue is unreachable (live delivery degraded), else 0.",
                                value=1 if getattr(bus, "state", "ok") == "degraded" else 0)

    def _online_users(self) -> Iterator[Metric]:
        count = len(self.app.extensions["presence"].online_user_ids())
        yield GaugeMetricFamily("switchboard_online_users",
                                "Users with at least one connection (all instances when presence is in Redis).",
                                value=count)

    def _jobs(self) -> Iterator[Metric]:
        from actions.job_admin import job_counts

        if self._pool_is_full():
            log.debug("metrics: jobs not collected: every database connection is in use")
            return
        counts = job_counts()
        queued = GaugeMetricFamily("switchboard_jobs_waiting", "Jobs in the queue's storage, by state.",
                                   labels=["state"])
        queued.add_metric(["queued"], counts.queued)
        queued.add_metric(["scheduled"], counts.scheduled)
        yield queued
        failed = GaugeMetricFamily("switchboard_jobs_failures", "Jobs of the job_failures table, by status.",
                                   labels=["status"])
        failed.add_metric(["retrying"], counts.retrying)
        failed.add_metric(["failed"], counts.failed)
        yield failed

    def _pool_is_full(self) -> bool:
        """Every connection the pool may open is in use: a query would wait for DATABASE_POOL_TIMEOUT
        behind the units of work, and the scrape with it, just when its figures are wanted."""
        pool = self.app.extensions["sqlalchemy"].engines[None].pool
        options = self.app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        if not hasattr(pool, "checkedout") or "pool_size" not in options:  # SQLite's pools never wait
            return False
        return pool.checkedout() >= int(options["pool_size"]) + int(options["max_overflow"])

    def _pool(self) -> Iterator[Metric]:
        pool = self.app.extensions["sqlalchemy"].engines[None].pool
        for name, method, help_text in (
                ("checked_out", "checkedout", "Database connections in use."),
                ("size", "size", "Database connections the pool keeps."),
                ("overflow", "overflow", "Database connections open beyond the pool's size.")):
            if hasattr(pool, method):
                yield GaugeMetricFamily(f"switchboard_db_pool_{name}", help_text, value=max(getattr(pool, method)(), 0))
        gate = self.app.extensions.get("unit_gate")  # events.admission: none on SQLite by default
        if gate is not None:
            yield GaugeMetricFamily("switchboard_db_units_in_use", "Units of work admitted to the database.",
                                    value=gate.in_use)
            yield GaugeMetricFamily("switchboard_db_units_waiting", "Units of work waiting in line for the database.",
                                    value=gate.waiting)
            yield GaugeMetricFamily("switchboard_db_sends_waiting",
                                    "Of the units waiting, messages being sent (the senders' line).",
                                    value=gate.sends_waiting)


class _Scrape:
    def __init__(self, *sources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def exposition(app: Flask) -> bytes:
    """The text exposition of every metric: this process's, or all processes' of
    PROMETHEUS_MULTIPROC_DIR, and the gauges read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    return generate_latest(_Scrape(counters, LiveFigures(app)))


def init_metrics(app: Flask) -> None:
    """Count the facts of every commit (an adapter beside the Socket.IO one)."""
    app.extensions["events"].register(MetricsAdapter())
