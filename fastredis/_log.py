"""The ``fastredis.*`` loggers.

Every module gets its logger here, so that the library's convention holds without
``import fastredis`` paying for the logging module: the first logger handed out gives the
``fastredis`` logger a ``NullHandler`` (nothing reaches stderr through Python's last-resort
handler unless the application configures logging)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

__all__ = ["get_logger"]

_ready = False


def get_logger(name: str) -> logging.Logger:
    import logging

    global _ready
    if not _ready:
        logging.getLogger("fastredis").addHandler(logging.NullHandler())
        _ready = True
    return logging.getLogger(name)
