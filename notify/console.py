"""The development sender: the message, code included, goes to the log at INFO (logger
`notify.console`). Anyone who reads the log can use the codes: never in production."""
from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)


def send(message, config: Mapping) -> None:
    log.info("%s to %s (%s): %s", message.channel, message.to, message.purpose, message.text)
