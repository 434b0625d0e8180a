"""The library's logging manners: nothing on stderr unless the application configures
logging (a NullHandler on ``fastredis``), and an outage logs one WARNING per endpoint for its
connect failures, then a summary, with the detail at DEBUG."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import fastredis
from fastredis.testing import free_port


def test_nothing_reaches_stderr_unless_the_application_configures_logging():
    port = free_port()  # nothing listens there: every connect fails and is logged
    code = (
        "import asyncio, fastredis\n"
        "async def main():\n"
        f"    r = fastredis.Redis(port={port}, socket_connect_timeout=1)\n"
        "    try:\n"
        "        await r.ping()\n"
        "    except fastredis.ConnectionError:\n"
        "        print('refused')\n"
        "    await r.aclose()\n"
        "asyncio.run(main())\n"
        "import logging\n"
        "print(any(isinstance(h, logging.NullHandler) for h in logging.getLogger('fastredis').handlers))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["refused", "True"], run.stdout + run.stderr
    assert run.stderr == ""


class _Records(logging.Handler):
    def __init__(self, failures_wanted: int) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.wanted = failures_wanted
        self.enough = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if len(self.failures()) >= self.wanted:
            self.enough.set()

    def failures(self) -> list[logging.LogRecord]:
        return [r for r in self.records if "cannot connect to" in r.getMessage()]


async def test_an_outage_logs_one_warning_per_endpoint_then_a_summary(make_server):
    server = make_server()
    r = fastredis.Redis(**server.client_kwargs())
    reconnected = asyncio.Event()
    p = r.pubsub(ignore_subscribe_messages=True, on_reconnect=lambda info: reconnected.set())
    await p.subscribe("news")
    records = _Records(failures_wanted=4)
    root = logging.getLogger("fastredis")
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(records)
    try:
        server.kill9()
        # the subscriber's reconnect loop fails to connect again and again ...
        await asyncio.wait_for(records.enough.wait(), 20)
        await asyncio.to_thread(server.start)
        await asyncio.wait_for(reconnected.wait(), 10)
    finally:
        root.removeHandler(records)
        root.setLevel(old_level)
        await p.aclose()
        await r.aclose()
    failures = records.failures()
    assert len(failures) >= 4
    warned = [f for f in failures if f.levelno == logging.WARNING]
    # ... and says so once at WARNING (a summary follows only every 30 s), the rest at DEBUG
    assert len(warned) == 1, [f.getMessage() for f in warned]
    assert all(f.levelno == logging.DEBUG for f in failures if f is not warned[0])
    again = [x for x in records.records if "again after" in x.getMessage()]
    assert len(again) == 1 and again[0].levelno == logging.INFO
    warnings = [x.getMessage() for x in records.records if x.levelno >= logging.WARNING]
    # the loss, the first failed connect, the reconnect that may have lost messages
    assert len(warnings) == 3, warnings
    assert not any(server.password and server.password in w for w in warnings if server.password)


async def test_a_long_outage_is_summarised_at_warning(monkeypatch):
    """While the failures go on, a WARNING summary every SUMMARY_EVERY seconds."""
    from fastredis import _connect_log

    monkeypatch.setattr(_connect_log, "SUMMARY_EVERY", 0.0)
    records = _Records(failures_wanted=3)
    logger = logging.getLogger("fastredis.test-connect-log")
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    try:
        for _ in range(3):
            _connect_log.connect_failed(logger, "example:1", "refused")
        _connect_log.connected(logger, "example:1")
    finally:
        logger.removeHandler(records)
    texts = [(x.levelname, x.getMessage()) for x in records.records]
    assert texts[0] == ("WARNING", "cannot connect to example:1: refused")
    assert texts[1][0] == "WARNING" and texts[1][1].startswith("still cannot connect to example:1: 2 failed")
    assert texts[3][0] == "INFO" and "3 failed attempt(s)" in texts[3][1]
