"""Operations: readiness of the dependencies (ops.readiness), Prometheus metrics (ops.metrics),
request ids and log format (ops.logs). Their routes are in blueprints.ops; docs/deployment.md
("Monitoring") is the operator's side of it."""
