"""Probes and metrics for load balancers and Prometheus (docs/deployment.md, "Monitoring").

- `GET /healthz`: the process answers; no dependency is asked (a liveness probe restarts what
  is stuck, not what waits for PostgreSQL).
- `GET /readyz`: every dependency checked (ops.readiness), 200 when all are up, 503 otherwise.
- `GET /metrics`: Prometheus' text format, only with METRICS_TOKEN set and sent as a bearer
  token; 404 when the setting is empty (metrics off), 401 when the token is missing or wrong.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app

from actions.errors import NotFound, Unauthorized
from blueprints.identity import bearer_token
from ops import metrics, readiness

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def health():
    """Liveness: the process answers requests."""
    return {"ok": True}


@bp.route("/readyz")
def ready():
    """Readiness: database, message queue, job queue and storage, each with its status and latency."""
    result = readiness.public_view(readiness.check_all(current_app._get_current_object()))
    return result, 200 if result["ok"] else 503


@bp.route("/metrics")
def metrics_exposition():
    """Prometheus metrics, for a scraper holding METRICS_TOKEN."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        raise NotFound("not_found", "Metrics are off: set METRICS_TOKEN to serve them.")
    offered = bearer_token()
    if offered is None or not hmac.compare_digest(offered.encode(), token.encode()):
        error = Unauthorized("unauthorized", "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.")
        error.headers = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        raise error
    return Response(metrics.exposition(current_app._get_current_object()), mimetype=None,
                    content_type=metrics.CONTENT_TYPE)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
