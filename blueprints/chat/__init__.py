"""The chat page and the Socket.IO events it speaks."""
from flask import Blueprint

bp = Blueprint("chat", __name__)

from blueprints.chat import (  # noqa: E402,F401
    contact_events,
    events,
    message_depth_events,
    notification_events,
    presence_events,
    report_events,
    routes,
    search_events,
    service_worker,
)
