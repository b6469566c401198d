"""The chat page and the Socket.IO events it speaks."""
from flask import Blueprint

bp = Blueprint("chat", __name__)

from blueprints.chat import contact_events, events, presence_events, report_events, routes  # noqa: E402,F401
from blueprints.chat import message_depth_events  # noqa: E402,F401
