"""Server and connection commands (PING, INFO, CONFIG, CLIENT ...)."""

from __future__ import annotations

from typing import Any

from ._base import CommandsBase, ok, pairs_to_dict, to_str


def _ping(reply: Any) -> bool:
    return reply in (b"PONG", "PONG")


def _value(v: str) -> Any:
    if "," in v and "=" in v:
        sub: dict = {}
        for item in v.split(","):
            if "=" in item:
                k, _, x = item.partition("=")
                sub[k] = _value(x)
        return sub
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


def parse_info(reply: Any) -> dict:
    """INFO text -> dict with ints/floats where they parse (redis-py's shape)."""
    text = to_str(reply)
    info: dict = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            info.setdefault("__raw__", []).append(line)
            continue
        info[key] = _value(value)
    return info


def parse_client_list(reply: Any) -> list[dict]:
    clients = []
    for line in to_str(reply).splitlines():
        if not line.strip():
            continue
        d = {}
        for item in line.split(" "):
            k, _, v = item.partition("=")
            d[k] = v
        clients.append(d)
    return clients


class ServerCommands(CommandsBase):
    __slots__ = ()

    def ping(self, message: Any = None) -> Any:
        if message is None:
            return self._execute(("PING",), _ping)
        return self._execute(("PING", message))

    def echo(self, value: Any) -> Any:
        return self._execute(("ECHO", value))

    def info(self, section: str | None = None, *sections: str) -> Any:
        if section is None:
            return self._execute(("INFO",), parse_info)
        return self._execute(("INFO", section, *sections), parse_info)

    def dbsize(self) -> Any:
        return self._execute(("DBSIZE",))

    def flushdb(self, asynchronous: bool = False) -> Any:
        return self._execute(("FLUSHDB", "ASYNC") if asynchronous else ("FLUSHDB",), ok)

    def flushall(self, asynchronous: bool = False) -> Any:
        return self._execute(("FLUSHALL", "ASYNC") if asynchronous else ("FLUSHALL",), ok)

    def config_get(self, pattern: Any = "*", *patterns: Any) -> Any:
        return self._execute(("CONFIG", "GET", pattern, *patterns), pairs_to_dict)

    def config_set(self, name: Any, value: Any, *args: Any) -> Any:
        return self._execute(("CONFIG", "SET", name, value, *args), ok)

    def time(self) -> Any:
        return self._execute(("TIME",), lambda r: (int(r[0]), int(r[1])))

    def client_list(self, _type: str | None = None) -> Any:
        if _type is None:
            return self._execute(("CLIENT", "LIST"), parse_client_list)
        return self._execute(("CLIENT", "LIST", "TYPE", _type), parse_client_list)

    def client_id(self) -> Any:
        return self._execute(("CLIENT", "ID"))

    def client_setname(self, name: Any) -> Any:
        return self._execute(("CLIENT", "SETNAME", name), ok)

    def client_getname(self) -> Any:
        return self._execute(("CLIENT", "GETNAME"))

    def client_kill(self, address: Any) -> Any:
        return self._execute(("CLIENT", "KILL", address), ok)

    def client_kill_filter(self, _id: Any = None, _type: Any = None, addr: Any = None,
                           skipme: Any = None, laddr: Any = None, user: Any = None) -> Any:
        args: tuple = ("CLIENT", "KILL")
        if _id is not None:
            args += ("ID", _id)
        if _type is not None:
            args += ("TYPE", _type)
        if addr is not None:
            args += ("ADDR", addr)
        if laddr is not None:
            args += ("LADDR", laddr)
        if user is not None:
            args += ("USER", user)
        if skipme is not None:
            args += ("SKIPME", "yes" if skipme else "no")
        return self._execute(args)
