"""Socket.IO packets of JSON text only.

Every event and ack Switchboard sends is a JSON value (docs/protocol.md); nothing it sends is bytes.
python-socketio looks through the data of every outgoing packet for bytes (`Packet.data_is_binary`,
a walk over every list and dict), to send them as binary attachments. For an ack of a history page of
50 messages that walk was 12% of the worker serving `messages:history` (issue 15; bench/history.py
under py-spy), and it runs for every room emit and every ack. `TextPacket` skips it: data holding
bytes would now fail to encode as JSON instead of going out as an attachment. Packets that clients
send are read as before (a binary event is still decoded, and refused by its handler's checks).
"""
from __future__ import annotations

from socketio.packet import Packet


class TextPacket(Packet):
    uses_binary_events = False
