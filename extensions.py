"""Unbound extension objects; `app.register_extensions` binds them to an app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from blueprints.client_json import SocketJSON
from realtime.text_packets import TextPacket

# Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SignedCookieLoginManager(LoginManager):
    """Flask-Login's, except that a remember cookie that is not ASCII (no cookie it signed) logs nobody in:
    its signature check, hmac.compare_digest, raised TypeError on one, a 500 for every request it came with."""

    def _load_user_from_remember_cookie(self, cookie: str):
        return super()._load_user_from_remember_cookie(cookie) if cookie.isascii() else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = SignedCookieLoginManager()
csrf = CSRFProtect()
babel = Babel()  # i18n.init_app binds it with the project's language and time zone choice
# Packets are read strictly: an unreadable payload is answered with invalid_payload, never a traceback;
# and written as JSON text only, never looked through for bytes (realtime.text_packets).
socketio = SocketIO(json=SocketJSON, serializer=TextPacket)
