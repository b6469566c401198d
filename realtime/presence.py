"""Who is online: live sockets per user.

The in-process store serves one server process. With several processes, a shared
store (Redis) takes its place behind the same three methods (see the roadmap in
docs/deployment.md).
"""
from __future__ import annotations

import threading
from collections import defaultdict


class LocalPresence:
    def __init__(self) -> None:
        self._sockets: dict[int, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def connected(self, user_id: int, sid: str) -> bool:
        """Record a socket; True when it is the user's first (the user came online)."""
        with self._lock:
            first = not self._sockets[user_id]
            self._sockets[user_id].add(sid)
            return first

    def disconnected(self, user_id: int, sid: str) -> bool:
        """Forget a socket; True when it was the user's last (the user went offline)."""
        with self._lock:
            sockets = self._sockets.get(user_id)
            if not sockets:
                return False
            sockets.discard(sid)
            if sockets:
                return False
            del self._sockets[user_id]
            return True

    def online_user_ids(self) -> set[int]:
        with self._lock:
            return set(self._sockets)

    def socket_count(self) -> int:
        with self._lock:
            return sum(len(sockets) for sockets in self._sockets.values())


presence = LocalPresence()
