"""Server and connection commands (PING, INFO, CONFIG, CLIENT ...)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, AnyStr, NoReturn, overload

from ..exceptions import DataError
from ._base import CommandsBase, ok, pairs_to_dict, to_str

if TYPE_CHECKING:
    from ..typing import EncodableT, KeyT, PatternT, Reply, TargetNodesT


def _ping(reply: Any) -> bool:
    return reply in (b"PONG", "PONG")


def _value(v: str) -> Any:
    if "," in v and "=" in v:
        sub: dict[str, Any] = {}
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


def parse_info(reply: Any) -> dict[str, Any]:
    """INFO text -> dict with ints/floats where they parse (redis-py's shape)."""
    text = to_str(reply)
    info: dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            info.setdefault("__raw__", []).append(line)
            continue
        info[key] = _value(value)
    return info


def _client_fields(line: str) -> dict[str, str]:
    """One CLIENT LIST / CLIENT INFO record: ``key=value`` tokens split at the first ``=``
    (a client name may hold ``=``); a token without ``=`` belongs to the previous value (a
    unix socket path may hold spaces)."""
    fields: dict[str, str] = {}
    last = None
    for token in line.split(" "):
        key, eq, value = token.partition("=")
        if eq:
            fields[key] = value
            last = key
        elif last is not None:
            fields[last] += " " + token
    return fields


def iter_client_list(reply: Any) -> Iterator[dict[str, str]]:
    """The records of a CLIENT LIST reply one at a time, lines found lazily (no list of
    lines, no list of dicts held while the caller iterates)."""
    text = to_str(reply)
    del reply
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop == -1:
            stop = end
        record = _client_fields(text[start:stop].rstrip("\r"))
        start = stop + 1
        if record:
            yield record


def parse_client_list(reply: Any) -> list[dict[str, str]]:
    return list(iter_client_list(reply))


# CLIENT INFO fields that are integers (networking.c); the rest stay str
_CLIENT_INT_FIELDS = frozenset((
    "id", "age", "idle", "db", "sub", "psub", "ssub", "multi", "qbuf", "qbuf-free",
    "argv-mem", "multi-mem", "obl", "oll", "omem", "tot-mem", "rbs", "rbp", "redir",
    "resp", "fd",
))


def parse_client_info(reply: Any) -> dict[str, Any]:
    """``id=3 addr=127.0.0.1:5000 ...`` -> dict, integers as int. A value may hold
    spaces (a unix socket path) or '=' (a client name), hence no plain split."""
    info: dict[str, Any] = {}
    last = None
    for token in to_str(reply).strip().split(" "):
        key, sep, value = token.partition("=")
        if sep:
            info[key] = value
            last = key
        elif last is not None:
            info[last] += " " + token
    for k in _CLIENT_INT_FIELDS & info.keys():
        try:
            info[k] = int(info[k])
        except ValueError:
            pass
    return info


def parse_debug_object(reply: Any) -> dict[str, Any]:
    """``Value at:0x.. refcount:1 encoding:embstr serializedlength:2 ...`` -> dict, in
    redis-py's shape (the leading word lands under 'type')."""
    out: dict[str, Any] = {}
    for token in ("type:" + to_str(reply)).split():
        key, sep, value = token.partition(":")
        if sep:
            out[key] = value
    for k in ("refcount", "serializedlength", "lru", "lru_seconds_idle"):
        if k in out:
            try:
                out[k] = int(out[k])
            except ValueError:
                pass
    return out


def parse_slowlog_get(reply: Any) -> list[dict[str, Any]]:
    """SLOWLOG GET -> [{'id', 'start_time', 'duration', 'command', 'client_address',
    'client_name'}]; 'command' is the argv joined by spaces, bytes or str like the reply."""
    out = []
    for item in reply:
        entry: dict[str, Any] = {"id": item[0], "start_time": int(item[1]),
                                 "duration": int(item[2])}
        argv = item[3]
        if not isinstance(argv, list):  # Redis Enterprise puts a complexity field first
            entry["complexity"] = argv
            argv = item[4]
            rest = item[5:]
        else:
            rest = item[4:]
        sep = b" " if argv and isinstance(argv[0], bytes) else " "
        entry["command"] = sep.join(argv)
        if len(rest) >= 2:
            entry["client_address"] = rest[0]
            entry["client_name"] = rest[1]
        out.append(entry)
    return out


def parse_config_get(reply: Any) -> dict[str, str]:
    """CONFIG GET -> {name: value}, both str whatever ``decode_responses`` says (redis-py's
    shape: configuration is text). A RESP3 map arrives as a dict already."""
    return {to_str(k): to_str(v) for k, v in pairs_to_dict(reply).items()}


_LIST_TYPES = ("normal", "master", "replica", "pubsub")
_KILL_TYPES = ("normal", "master", "slave", "replica", "pubsub")


def _client_type(value: Any, allowed: tuple[str, ...]) -> Any:
    # redis-py refuses other types before sending (CLIENT LIST / CLIENT KILL TYPE)
    if str(value.decode() if isinstance(value, bytes) else value).lower() not in allowed:
        raise DataError(f"client type must be one of {allowed!r}")
    return value


def _check_kill_filter(args: tuple[Any, ...], _type: Any, skipme: Any) -> None:
    if _type is not None:
        _client_type(_type, _KILL_TYPES)
    if skipme is not None and not isinstance(skipme, bool):
        raise DataError("CLIENT KILL skipme must be a bool")
    if len(args) == 2:
        raise DataError("CLIENT KILL <filter> <value> must specify at least one filter")


class HotkeysMetricsTypes(Enum):
    """What HOTKEYS START tracks (redis-py's enum of the same name; its members work too)."""

    CPU = "CPU"
    NET = "NET"


def _hotkeys(reply: Any) -> Any:
    # HOTKEYS GET: one session report per node, each a flat array over RESP2, a map over RESP3
    return None if reply is None else [pairs_to_dict(report) for report in reply]


def _str_or_none(reply: Any) -> str | None:
    # CLIENT GETNAME: str (redis-py decodes it), None when the connection has no name
    return None if reply is None else to_str(reply)


class ServerCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    @overload
    def ping(self, message: None = ...,
             *, target_nodes: TargetNodesT | None = None) -> Reply[bool]: ...
    @overload
    def ping(self, message: EncodableT,
             *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]: ...
    def ping(self, message: EncodableT | None = None,
             *, target_nodes: TargetNodesT | None = None) -> Reply[Any]:
        """PING: True on PONG; with ``message`` the message echoed back."""
        if message is None:
            return self._execute_on(target_nodes, ("PING",), _ping)
        return self._execute_on(target_nodes, ("PING", message))

    def echo(self, value: EncodableT, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """ECHO: ``value`` as the server sends it back."""
        return self._execute_on(target_nodes, ("ECHO", value))

    def info(self, section: str | None = None, *sections: str,
             target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any]]:
        """INFO: the server's sections as a dict, numbers parsed (redis-py's shape)."""
        if section is None:
            return self._execute_on(target_nodes, ("INFO",), parse_info)
        return self._execute_on(target_nodes, ("INFO", section, *sections), parse_info)

    def dbsize(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """DBSIZE: the number of keys in the database."""
        return self._execute_on(target_nodes, ("DBSIZE",))

    def flushdb(self, asynchronous: bool = False,
                *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """FLUSHDB: delete every key of this database (ASYNC with ``asynchronous``); True."""
        args = ("FLUSHDB", "ASYNC") if asynchronous else ("FLUSHDB",)
        return self._execute_on(target_nodes, args, ok)

    def flushall(self, asynchronous: bool = False,
                 *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """FLUSHALL: delete every key of every database; returns True."""
        args = ("FLUSHALL", "ASYNC") if asynchronous else ("FLUSHALL",)
        return self._execute_on(target_nodes, args, ok)

    def config_get(self, pattern: PatternT = "*",
                   *patterns: PatternT,
                   target_nodes: TargetNodesT | None = None) -> Reply[dict[str, str]]:
        """CONFIG GET: the matching parameters as a dict {name: value} of str (redis-py's shape)."""
        return self._execute_on(target_nodes, ("CONFIG", "GET", pattern, *patterns), parse_config_get)

    def config_set(self, name: KeyT, value: EncodableT, *args: EncodableT,
                   target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CONFIG SET: set parameters (more name, value pairs in ``args``); True."""
        return self._execute_on(target_nodes, ("CONFIG", "SET", name, value, *args), ok)

    def time(self, *, target_nodes: TargetNodesT | None = None) -> Reply[tuple[int, int]]:
        """TIME: the server time as (unix seconds, microseconds)."""
        return self._execute_on(target_nodes, ("TIME",), lambda r: (int(r[0]), int(r[1])))

    def client_list(self, _type: str | None = None,
                    client_id: list[Any] = [],  # noqa: B006
                    *, target_nodes: TargetNodesT | None = None) -> Reply[list[dict[str, str]]]:
        """CLIENT LIST: one dict of str per connection (of ``_type``, of the ids in
        ``client_id`` if given)."""
        if not isinstance(client_id, list):  # redis-py's check (and its default)
            raise DataError("client_id must be a list")
        if client_id:
            args: tuple[Any, ...] = ("CLIENT", "LIST", "ID", *client_id)
            if _type is not None:
                args = ("CLIENT", "LIST", "TYPE", _client_type(_type, _LIST_TYPES), "ID", *client_id)
            return self._execute_on(target_nodes, args, parse_client_list)
        if _type is None:
            return self._execute_on(target_nodes, ("CLIENT", "LIST"), parse_client_list)
        args = ("CLIENT", "LIST", "TYPE", _client_type(_type, _LIST_TYPES))
        return self._execute_on(target_nodes, args, parse_client_list)

    def client_list_iter(self, _type: str | None = None,
                         client_id: list[Any] = [],  # noqa: B006
                         ) -> Reply[Iterator[dict[str, str]]]:
        """CLIENT LIST as an iterator of dicts, parsed one record at a time (the reply itself
        is read whole first): for servers with many thousands of connections."""
        if not isinstance(client_id, list):
            raise DataError("client_id must be a list")
        args: tuple[Any, ...] = ("CLIENT", "LIST")
        if _type is not None:
            args += ("TYPE", _client_type(_type, _LIST_TYPES))
        if client_id:
            args += ("ID", *client_id)
        return self._execute(args, iter_client_list)

    def client_id(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """CLIENT ID: the id of the connection the command ran on."""
        return self._execute_on(target_nodes, ("CLIENT", "ID"))

    def client_setname(self, name: str | bytes) -> Reply[bool]:
        """CLIENT SETNAME: name the connection the command ran on; returns True."""
        return self._execute(("CLIENT", "SETNAME", name), ok)

    def client_getname(self, *, target_nodes: TargetNodesT | None = None) -> Reply[str | None]:
        """CLIENT GETNAME: the name of the connection, as str (redis-py's shape), or None."""
        return self._execute_on(target_nodes, ("CLIENT", "GETNAME"), _str_or_none)

    def client_kill(self, address: str, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CLIENT KILL ip:port: close that connection; returns True."""
        return self._execute_on(target_nodes, ("CLIENT", "KILL", address), ok)

    def client_kill_filter(self, _id: int | None = None, _type: str | None = None,
                           addr: str | None = None, skipme: bool | None = None,
                           laddr: str | None = None, user: str | None = None,
                           maxage: int | None = None,
                           *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """CLIENT KILL with filters (ID, TYPE, ADDR, LADDR, USER, SKIPME, MAXAGE); returns
        the number of connections closed."""
        args: tuple[Any, ...] = ("CLIENT", "KILL")
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
        if maxage is not None:  # clients older than maxage seconds (Redis >= 7.4, Valkey >= 8)
            args += ("MAXAGE", maxage)
        _check_kill_filter(args, _type, skipme)
        return self._execute_on(target_nodes, args)

    def client_info(self, *, target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any]]:
        """CLIENT INFO: this connection's CLIENT INFO as a dict (ints where the server means ints).
        On a shared client that is the shared connection the command happened to use."""
        return self._execute_on(target_nodes, ("CLIENT", "INFO"), parse_client_info)

    def client_pause(self, timeout: int, all: bool = True,
                     *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CLIENT PAUSE: pause clients for ``timeout`` ms; ``all=False`` pauses only
        writes (6.2); returns True."""
        if isinstance(timeout, bool) or not isinstance(timeout, int):
            raise DataError("CLIENT PAUSE timeout must be an integer (milliseconds)")
        if all:
            return self._execute_on(target_nodes, ("CLIENT", "PAUSE", timeout), ok)
        return self._execute_on(target_nodes, ("CLIENT", "PAUSE", timeout, "WRITE"), ok)

    def client_unpause(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CLIENT UNPAUSE: end a CLIENT PAUSE; returns True."""
        return self._execute_on(target_nodes, ("CLIENT", "UNPAUSE"), ok)

    def config_resetstat(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """CONFIG RESETSTAT: reset the statistics INFO reports; returns True."""
        return self._execute_on(target_nodes, ("CONFIG", "RESETSTAT"), ok)

    def memory_usage(self, key: KeyT, samples: int | None = None) -> Reply[int | None]:
        """MEMORY USAGE: bytes used by ``key`` and its value, or None when the key does
        not exist."""
        if samples is None:
            return self._execute(("MEMORY", "USAGE", key))
        return self._execute(("MEMORY", "USAGE", key, "SAMPLES", samples))

    def debug_object(self, key: KeyT) -> Reply[dict[str, Any]]:
        """DEBUG OBJECT: the value's internals as a dict. Needs
        ``enable-debug-command yes`` (or ``local``) on Redis >= 7."""
        return self._execute(("DEBUG", "OBJECT", key), parse_debug_object)

    def slowlog_get(self, num: int | None = None,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[list[dict[str, Any]]]:
        """SLOWLOG GET: the last ``num`` slow commands, as dicts ('id', 'start_time',
        'duration', 'command', ...)."""
        if num is None:
            return self._execute_on(target_nodes, ("SLOWLOG", "GET"), parse_slowlog_get)
        return self._execute_on(target_nodes, ("SLOWLOG", "GET", num), parse_slowlog_get)

    def slowlog_len(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """SLOWLOG LEN: the number of entries in the slow log."""
        return self._execute_on(target_nodes, ("SLOWLOG", "LEN"))

    def slowlog_reset(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """SLOWLOG RESET: empty the slow log; returns True."""
        return self._execute_on(target_nodes, ("SLOWLOG", "RESET"), ok)

    def command_count(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """COMMAND COUNT: the number of commands the server knows."""
        return self._execute_on(target_nodes, ("COMMAND", "COUNT"))

    def swapdb(self, first: int, second: int) -> Reply[bool]:
        """SWAPDB: swap two databases; returns True."""
        return self._execute(("SWAPDB", first, second), ok)

    def select(self, index: int) -> NoReturn:
        """SELECT is not supported: commands of many tasks share one connection, so SELECT would
        switch the database under all of them. Choose the database with ``db=``."""
        raise DataError(
            "SELECT is not supported on a shared client: connections are multiplexed. "
            "Create a client with Redis(db=N) (or from_url('redis://host/N')) instead"
        )

    # --- newer than Redis 8.2: compared with redis-py 8.2's bytes and parsing, not a server ---

    def backup_start(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """BACKUP START: start a backup into the ``backupdirname`` directory (empty; one
        backup at a time). Poll backup_status until 'incrementing', then backup_seal."""
        return self._execute_on(target_nodes, ("BACKUP", "START"))

    def backup_status(self, *, target_nodes: TargetNodesT | None = None) -> Reply[dict[Any, Any]]:
        """BACKUP STATUS: {'state', 'error', 'start_time', 'end_time'} (keys as the server
        sends them); state idle, pending, snapshotting, incrementing, sealed or failed."""
        return self._execute_on(target_nodes, ("BACKUP", "STATUS"), pairs_to_dict)

    def backup_seal(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """BACKUP SEAL: freeze the backup: the files backup_list names are then complete."""
        return self._execute_on(target_nodes, ("BACKUP", "SEAL"))

    def backup_abort(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """BACKUP ABORT: cancel a backup that is not sealed yet."""
        return self._execute_on(target_nodes, ("BACKUP", "ABORT"))

    def backup_cleanup(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """BACKUP CLEANUP: remove a sealed backup's files and go back to 'idle'."""
        return self._execute_on(target_nodes, ("BACKUP", "CLEANUP"))

    def backup_list(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """BACKUP LIST: the absolute paths of the backup's files so far."""
        return self._execute_on(target_nodes, ("BACKUP", "LIST"))

    def hotkeys_start(self, metrics: Sequence[HotkeysMetricsTypes | str], count: int | None = None,
                      duration: int | None = None, sample_ratio: int | None = None,
                      slots: Sequence[int] | None = None,
                      *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """HOTKEYS START: track the keys hottest by ``metrics`` (CPU, NET), the top
        ``count``, for ``duration`` seconds, sampling one command in ``sample_ratio``, on
        ``slots`` only (empty: all)."""
        if isinstance(metrics, (str, bytes)):
            raise DataError("metrics must be a list of HotkeysMetricsTypes (or 'CPU' / 'NET')")
        wanted: list[str] = [str(getattr(m, "value", m)) for m in metrics]
        args: tuple[Any, ...] = ("HOTKEYS", "START", "METRICS", len(wanted), *wanted)
        if count is not None:
            args += ("COUNT", count)
        if duration is not None:
            args += ("DURATION", duration)
        if sample_ratio is not None:
            args += ("SAMPLE", sample_ratio)
        if slots:
            only: list[int] = list(slots)
            args += ("SLOTS", len(only), *only)
        return self._execute_on(target_nodes, args)

    def hotkeys_stop(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """HOTKEYS STOP: end the collection; its results stay for hotkeys_get."""
        return self._execute_on(target_nodes, ("HOTKEYS", "STOP"))

    def hotkeys_reset(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """HOTKEYS RESET: discard the last collection's results (an error while one runs)."""
        return self._execute_on(target_nodes, ("HOTKEYS", "RESET"))

    def hotkeys_get(self, *, target_nodes: TargetNodesT | None = None
                    ) -> Reply[list[dict[Any, Any]] | None]:
        """HOTKEYS GET: the current or last collection's report, one dict per node, or None
        when there was none."""
        return self._execute_on(target_nodes, ("HOTKEYS", "GET"), _hotkeys)
