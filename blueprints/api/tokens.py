"""Bearer tokens for programs, and who am I (accounts: blueprints/api/accounts.py)."""
from flask import jsonify, request

from actions.accounts import authenticate, issue_api_token, revoke_api_token
from actions.profiles import own_profile
from actions.rate_limits import limit_token_creation
from actions.security_log import record_security_event
from actions.two_factor import require_second_factor
from actions.validation import check_fields, check_token_days, check_token_name
from blueprints.api import api_user, bearer_token, bp, json_body
from payloads import issued_token_payload, profile_payload


@bp.post("/tokens")
def create_token():
    """Exchange {username, password[, totp, name, expires_in_days]} for a bearer token (shown once;
    expires_in_days 0: never, absent, null or "": API_TOKEN_DAYS; totp: the two-factor code, if the account has it)."""
    payload = check_fields(json_body(), ("username", "password", "totp", "name", "expires_in_days"), "token")
    name = check_token_name(payload.get("name"), required=False) or "api"
    days = check_token_days(payload.get("expires_in_days"))  # None (absent, null, ""): API_TOKEN_DAYS
    user = authenticate(payload.get("username"), payload.get("password"), client_address=request.remote_addr)
    require_second_factor(user, payload.get("totp"))  # 401 two_factor_required without it
    limit_token_creation(user)
    issued = issue_api_token(user, name=name, days=days)
    record_security_event("login", user=user, detail="token")
    return jsonify({"ok": True, **issued_token_payload(issued)}), 201


@bp.delete("/tokens/current")
def delete_current_token():
    """Revoke the bearer token this request carries."""
    token = bearer_token()
    return jsonify({"ok": True, "revoked": bool(token and revoke_api_token(token))})


@bp.get("/me")
def me():
    """The authenticated user, with their profile (status line, time zone, online)."""
    found = own_profile(api_user())
    return jsonify({"ok": True, "user": profile_payload(found.user, found.online)})
