"""The caller's own login sessions and API tokens: list them, end one, end all others."""
from flask import g, jsonify, request

from actions import sessions
from actions.errors import InvalidInput
from blueprints.api import api_user, bp
from payloads import api_token_payload, login_session_payload


@bp.get("/sessions")
def list_sessions():
    """The caller's live login sessions, the most recently used first; `current` marks the caller's own."""
    current = g.principal.session_id
    return jsonify({"ok": True, "sessions": [login_session_payload(row, current)
                                             for row in sessions.list_sessions(api_user())]})


@bp.delete("/sessions/<session_id>")
def end_session(session_id: str):
    """Log one session out (the caller's own too); its sockets are cut at once."""
    ended = sessions.revoke_own_session(api_user(), session_id)
    return jsonify({"ok": True, "session_id": ended.id})


@bp.delete("/sessions")
def end_other_sessions():
    """`?others=1`: log out every session but the caller's own (every session, for a bearer token)."""
    if request.args.get("others") != "1":
        raise InvalidInput("invalid_others", "Say which sessions: ?others=1 ends every session but this one.")
    return jsonify({"ok": True, "ended": sessions.revoke_other_sessions(api_user(), g.principal.session_id)})


@bp.get("/tokens")
def list_tokens():
    """The caller's live API tokens (never the tokens themselves), the newest first."""
    return jsonify({"ok": True, "tokens": [api_token_payload(token) for token in sessions.list_tokens(api_user())]})


@bp.delete("/tokens/<id:token_id>")
def revoke_token(token_id: int):
    """Revoke one of the caller's API tokens; its sockets are cut at once."""
    token = sessions.revoke_own_token(api_user(), token_id)
    return jsonify({"ok": True, "token_id": token.id})
