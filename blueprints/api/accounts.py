"""Registration and recovery for programs: create an account, confirm its address with the code
sent there, ask for a new code, reset a forgotten password by code (docs/protocol.md)."""
from flask import jsonify, request

from actions.accounts import authenticate, issue_api_token
from actions.rate_limits import limit_code_attempt, limit_password_reset, limit_registration
from actions.registration import (
    confirm_address,
    register_account,
    request_password_reset,
    resend_confirmation,
    reset_password_with_code,
)
from actions.two_factor import require_second_factor
from actions.validation import check_fields, check_string
from blueprints.api import bp, json_body
from models import User
from payloads import issued_token_payload, user_payload


@bp.post("/accounts")
def create_account():
    """Register {username, password, display_name?, email?, phone?, invite?}: 201 with a bearer
    token, or 202 without one while the address sent a code must be confirmed (REGISTRATION)."""
    payload = check_fields(json_body(), ("username", "password", "display_name", "email", "phone", "invite"),
                           "account")
    limit_registration(request.remote_addr)
    registration = register_account(payload.get("username"), payload.get("password"), payload.get("display_name"),
                                    payload.get("email"), payload.get("phone"), payload.get("invite"))
    user = registration.user
    if user.confirmed_at is None:
        return jsonify({"ok": True, "user": user_payload(user), "confirmation": registration.confirmation}), 202
    answer = _with_token(user)
    if registration.confirmation is not None:
        answer["confirmation"] = registration.confirmation
    return jsonify(answer), 201


@bp.post("/accounts/confirm")
def confirm_account():
    """Confirm the address with {username, password, code[, totp]}; answers with a bearer token."""
    payload = check_fields(json_body(), ("username", "password", "code", "totp"), "confirmation")
    user = authenticate(payload.get("username"), payload.get("password"), client_address=request.remote_addr)
    # As POST /api/tokens: a token, or a new address (a way into the account), takes the second factor too.
    require_second_factor(user, payload.get("totp"))
    limit_code_attempt(f"user:{user.id}")
    confirm_address(user, payload.get("code"))
    return jsonify(_with_token(user)), 200


@bp.post("/accounts/resend")
def resend_code():
    """A new code to the address waiting for confirmation, or to {email} or {phone} instead (a
    mistyped address, or one to add), for {username, password[, totp]}."""
    payload = check_fields(json_body(), ("username", "password", "email", "phone", "totp"), "code request")
    user = authenticate(payload.get("username"), payload.get("password"), client_address=request.remote_addr)
    require_second_factor(user, payload.get("totp"))
    return jsonify({"ok": True, "confirmation": resend_confirmation(user, payload.get("email"),
                                                                     payload.get("phone"))}), 202


@bp.post("/password-reset")
def ask_password_reset():
    """Send a reset code for {login} (username, email or phone): 202 whether the account exists or not."""
    login = check_string(check_fields(json_body(), ("login",), "password reset").get("login"), "login",
                         max_length=254)
    limit_password_reset(request.remote_addr)
    request_password_reset(login)
    return jsonify({"ok": True}), 202


@bp.post("/password-reset/confirm")
def confirm_password_reset():
    """{login, code, password}: the new password; every session and token of the account ends, and
    the answer carries a new bearer token."""
    payload = check_fields(json_body(), ("login", "code", "password", "totp"), "password reset")
    login = payload.get("login")
    limit_code_attempt("reset:" + (login.strip().lower() if isinstance(login, str) else ""))
    # The code proves the address, not the second factor: without it nothing is changed (401).
    user = reset_password_with_code(login, payload.get("code"), payload.get("password"), payload.get("totp"))
    return jsonify(_with_token(user)), 200


def _with_token(user: User) -> dict:
    return {"ok": True, **issued_token_payload(issue_api_token(user))}
