"""A gateway connection's life: read packets one at a time, answer each, close on what is not a packet.

The reader (the WebSocket request's own greenlet) takes one packet, runs its command in its own
unit of work, queues the response, waits until it is written (realtime.answer_first: a client
that does not read is waited for a bounded time), and only then releases the change to everyone
else, as a Socket.IO ack does. So one connection never has more than one command running,
whatever it sends: past GATEWAY_RECEIVE_QUEUE packets read and not yet answered it is closed
(`busy`). No packet for GATEWAY_IDLE_SECONDS (a ping counts) closes it too (`idle`).

What is not a packet (docs/gateway.md, Errors) is answered with the error, then the connection is
closed and the refusal logged: the command's own response when the header was read far enough to
know the command and it has one, else a -10 `error` push.
"""
from __future__ import annotations

import logging

from flask import Flask
from simple_websocket import ConnectionClosed

from actions.errors import ActionError, Unauthorized
from blueprints.faults import fault_answer
from blueprints.identity import opened_with
from events.admission import sending
from events.unit_of_work import HeldEvents, atomic
from extensions import db
from gateway.commands import HANDLERS
from gateway.connection import NORMAL, POLICY_VIOLATION, PROTOCOL_ERROR, TOO_BIG, UNSUPPORTED_DATA, Connection
from gateway.packets import LOGIN, PUSH, RESPONSES, SEND_MESSAGE, Packet, PacketError, decode, encode
from realtime.presence import presence

log = logging.getLogger(__name__)

CLOSING_CODES = {"unauthorized"}  # the token stopped working (revoked, expired, its user deactivated)
FINISH_SECONDS = 1.0  # for the last packets and the close frame, once the reader is done


def serve(app: Flask, connection: Connection) -> None:
    """Read and answer packets until the connection closes; then forget it."""
    config = app.config
    try:
        while not connection.closing:
            try:
                data = connection.ws.receive(timeout=config["GATEWAY_IDLE_SECONDS"])
            except ConnectionClosed:
                if connection.ws.incoming_message_len > connection.ws.max_message_size:
                    # simple-websocket closed it (1009) past max_message_size: a packet past the maximum.
                    log.warning("gateway connection %s (%s, user %s): packet_too_large (the WebSocket message), "
                                "closed", connection.id, connection.address, connection.user_id)
                break
            if connection.closing:  # closed meanwhile (a shutdown, a revocation): nothing more runs
                break
            if data is None:
                refuse(connection, "idle", f"Nothing came for {config['GATEWAY_IDLE_SECONDS']} s: send a ping "
                                           "(command 17) more often.", NORMAL)
                break
            if len(connection.ws.input_buffer) >= config["GATEWAY_RECEIVE_QUEUE"]:
                refuse(connection, "busy", f"More than {config['GATEWAY_RECEIVE_QUEUE']} packets waited for an "
                                           "answer: wait for answers before sending more.", POLICY_VIOLATION)
                break
            handle(connection, data, config["GATEWAY_MAX_PACKET_BYTES"])
    finally:
        _forget(app, connection)


def handle(connection: Connection, data: bytes | str, max_body: int) -> None:
    if isinstance(data, str):
        refuse(connection, "binary_required", "Packets are binary WebSocket messages, not text.", UNSUPPORTED_DATA)
        return
    try:
        packet = decode(data, max_body)
    except PacketError as error:
        refuse(connection, error.code, error.message, TOO_BIG if error.too_large else PROTOCOL_ERROR,
               command=error.command)
        return
    answer(connection, packet)


def refuse(connection: Connection, code: str, message: str, close_code: int, command: int | None = None) -> None:
    """Answer what could not be read, then close (logged: a client sending this is broken or hostile)."""
    log.warning("gateway connection %s (%s, user %s): %s, closed", connection.id, connection.address,
                connection.user_id, code)
    if command in RESPONSES:
        connection.push(encode(RESPONSES[command], _refusal(command, code, message, {})))
    else:
        connection.push(encode(PUSH, {"type": "error", "errorCode": code, "errorMsg": message}))
    connection.close(close_code, code)


def answer(connection: Connection, packet: Packet) -> None:
    """Run one command in its unit of work; the response is written before its changes leave."""
    handler, needs_caller = HANDLERS[packet.command]
    connection.in_command = True
    try:
        _run(connection, packet, handler, needs_caller)
    finally:
        connection.command_done()  # a shutdown waiting for this answer closes the connection now


def _run(connection: Connection, packet: Packet, handler, needs_caller: bool) -> None:
    held = HeldEvents().start()
    try:
        try:
            with sending(packet.command == SEND_MESSAGE), atomic():
                caller = _caller(connection) if needs_caller else None
                body = handler(connection, caller, packet.body)
        except ActionError as error:
            body = _refusal(packet.command, error.code, error.message, packet.body)
            if getattr(error, "retry_after", None):  # rate_limited: when to send again
                body["retryAfter"] = error.retry_after
            if packet.command == LOGIN or error.code in CLOSING_CODES or _flooding(connection, error):
                connection.push(encode(RESPONSES[packet.command], body))
                connection.close(POLICY_VIOLATION, error.code)
                return
        except Exception as error:
            fault = fault_answer(error, f"gateway command {packet.command}")
            body = _refusal(packet.command, fault.code, fault.message, packet.body)
    finally:
        held.stop()
        db.session.close()  # a long-lived connection keeps no rows between its commands
    connection.push(encode(RESPONSES[packet.command], body))
    for extra in connection.after_answer:
        connection.push(extra)
    connection.after_answer.clear()
    if held:
        connection.wait_written()
        held.release()


def _flooding(connection: Connection, error: ActionError) -> bool:
    """A connection refused `rate_limited` SOCKET_BUSY_DISCONNECT times within a minute is closed after
    that answer, as a Socket.IO socket is (actions.rate_limits.RefusedConnection)."""
    if error.code != "rate_limited" or not connection.rate_limited.refused():
        return False
    log.warning("gateway connection %s (%s, user %s): kept sending while rate limited: closed", connection.id,
                connection.address, connection.user_id)
    return True


def _caller(connection: Connection):
    """The connection's user, checked again at every command (as a socket's principal is)."""
    if connection.user_id is None:
        raise Unauthorized("not_logged_in", "Log in first (command 1, with your token).")
    principal = opened_with("token", connection.token_id, connection.user_id)
    if principal is None:
        raise Unauthorized("unauthorized", "This token was revoked or expired, or the account deactivated.")
    return principal.user


def _refusal(command: int, code: str, message: str, body: dict) -> dict:
    refusal = {"success": False, "errorCode": code, "errorMsg": message}
    client_id = body.get("hasBeenSentId")
    if command == SEND_MESSAGE and isinstance(client_id, str | int) and not isinstance(client_id, bool):
        refusal["hasBeenSentId"] = str(client_id)  # a string as sent, an integer as its decimal digits
    return refusal


def _forget(app: Flask, connection: Connection) -> None:
    delivery = app.extensions["gateway_delivery"]
    delivery.connections.remove(connection)
    delivery.open.discard(connection)
    connection.finish(FINISH_SECONDS)
    if connection.user_id is not None:
        presence.disconnected(connection.user_id, connection.presence_id)  # last seen: the presence batch
