"""The bzGhost gateway: plain-WebSocket clients speaking a binary packet format, beside Socket.IO.

docs/gateway.md is the contract. A second adapter of the domain events (events.dispatch), beside
realtime.socketio_adapter, and a WebSocket route `/ws/im` served by the same gevent process:

- `packets`: the codec, bytes <-> packets (no Flask);
- `adapter`: committed facts -> frames on the bus (realtime.bus), rendered inside the transaction;
- `delivery`: every process applies the frames to its own gateway connections, in revision order;
- `connection`: one WebSocket's outbox and writer; `session`: its reader; `commands`: what each
  request does, through the same actions as the chat; `routes`: the `/ws/im` view.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing here imports Flask: `gateway.packets` is usable alone (a client, the tests)
    from flask import Flask


def init_gateway(app: Flask) -> None:
    """Register the gateway's adapter, its delivery on this process's bus, and its route."""
    from gateway.adapter import GATEWAY, GatewayAdapter
    from gateway.delivery import GatewayDelivery
    from gateway.routes import bp

    deliveries = app.extensions["realtime_deliveries"]
    delivery = GatewayDelivery(app, deliveries.start_background_task, deliveries.sleep)
    deliveries.add(GATEWAY, delivery.receive)
    deliveries.on_status(delivery.bus_status_changed)
    app.extensions["gateway_delivery"] = delivery
    app.extensions["events"].register(GatewayAdapter(app.extensions["realtime_bus"]))
    app.register_blueprint(bp)
