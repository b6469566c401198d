"""What building an outgoing Socket.IO packet costs, with python-socketio's own packet class (which
looks through the data for bytes) and with realtime.text_packets.TextPacket (JSON text only): for
the ack of a history page (50 messages, as `messages:history` answers) and for one `message:new`.

    .venv/bin/python bench/packets.py [--repeats 7]          # or: bench/run.py packets

One process, no server: the median µs per packet of `repeats` timings of each, a JSON line per
figure, then a table with TextPacket ÷ Packet. See docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from socketio.packet import ACK, EVENT, Packet  # noqa: E402

from actions.message_rows import MessageRow, UserRow  # noqa: E402
from blueprints.client_json import SocketJSON  # noqa: E402
from models.time import utcnow  # noqa: E402
from payloads import message_payload  # noqa: E402
from realtime.text_packets import TextPacket  # noqa: E402


class LookingPacket(Packet):
    """python-socketio's packet as the server used it before: it looks for bytes."""


def message(number: int) -> dict:
    """A message as the server sends it (payloads.message_payload of a row as a history page reads it),
    with a mention and a reaction."""
    row = MessageRow(
        id=number, conversation_id=7, sender_id=3, seq=number, revision=number, kind="text",
        body="hello there " * 5, attachment_id=None, client_id=f"c-{number}",
        created_at=utcnow(), edited_at=None, deleted_at=None, hidden_at=None,
        reply_to_id=None, mentions_all=False, system_event=None, sender=UserRow(3, "bob", "Bob", None),
        attachment=None, reply_to=None, mentions=[SimpleNamespace(user_id=4)],
        reactions=[SimpleNamespace(emoji="👍", user_id=1), SimpleNamespace(emoji="👍", user_id=2)])
    return message_payload(row)


CASES = {
    "history page ack (50 messages)": (ACK, [{"ok": True, "messages": [message(n) for n in range(50)],
                                               "has_more": True}], 1),
    "message:new (one message)": (EVENT, ["message:new", {"message": message(1)}], None),
}


def per_packet_us(packet_class, packet_type: int, data, packet_id, encode: bool, repeats: int) -> float:
    def build():
        packet = packet_class(packet_type, data=data, id=packet_id)
        return packet.encode() if encode else packet

    number = 200
    return statistics.median(timeit.timeit(build, number=number) / number * 1e6 for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args()
    for packet_class in (LookingPacket, TextPacket):
        packet_class.json = SocketJSON  # as extensions.socketio gives it
    rows = []
    for case, (packet_type, data, packet_id) in CASES.items():
        for step, encode in (("build", False), ("build and encode", True)):
            figures = {name: per_packet_us(packet_class, packet_type, data, packet_id, encode, arguments.repeats)
                       for name, packet_class in (("Packet", LookingPacket), ("TextPacket", TextPacket))}
            row = {"case": case, "step": step, "packet_us": round(figures["Packet"], 1),
                   "text_packet_us": round(figures["TextPacket"], 1),
                   "ratio": float(f'{figures["TextPacket"] / figures["Packet"]:.3g}')}
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| packet | step | Packet µs | TextPacket µs | TextPacket ÷ Packet |\n|---|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['case']} | {row['step']} | {row['packet_us']:,} | {row['text_packet_us']:,} | {row['ratio']} |")


if __name__ == "__main__":
    main()
