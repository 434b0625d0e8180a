"""Server management (SAVE, ROLE, MEMORY, LATENCY, COMMAND, MODULE, SHUTDOWN, FAILOVER,
REPLICAOF ...), CLIENT sub-commands beyond the basic ones, WAIT / WAITAOF.

Shapes are redis-py's (RESP2). Where redis-py refuses to implement a command
(LATENCY DOCTOR/GRAPH/HISTOGRAM, MEMORY DOCTOR/HELP, COMMAND INFO/DOCS, FAILOVER) it is
implemented here. Commands that change the state of the connection they run on (AUTH,
RESET, QUIT, HELLO, SYNC, CLIENT REPLY OFF ...) are refused with DataError on a shared
client: its connections are multiplexed, so the change would land under other tasks'
commands (the same rule as ``select`` and ``execute_command``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import ConnectionError, DataError, RedisError
from ._base import STRING_TYPES, CommandsBase, list_or_args, ok, pairs_to_dict, to_str

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

    from ..typing import EncodableT, KeyT, Reply, TargetNodesT


def _true(reply: Any) -> bool:
    # BGSAVE / BGREWRITEAOF answer with a status text ("Background saving started");
    # redis-py turns it into True
    return True


def _lastsave(reply: Any) -> datetime.datetime | None:
    import datetime

    return datetime.datetime.fromtimestamp(int(reply)) if reply else None


def _strs(reply: Any) -> list[Any]:
    return [to_str(x) if isinstance(x, bytes) else x for x in reply]


def _trackinginfo(reply: Any) -> list[Any]:
    # RESP3 sends a map: flatten it to RESP2's list, as redis-py's legacy shape
    if isinstance(reply, dict):
        reply = [x for kv in reply.items() for x in kv]
    return _strs(reply)


def _str_dict(reply: Any) -> dict[str, Any]:
    """``[k, v, ...]`` (or a RESP3 map) -> dict with str keys and str string values."""
    if isinstance(reply, dict):
        items = list(reply.items())
    else:
        it = iter(reply)
        items = list(zip(it, it, strict=False))
    return {to_str(k): to_str(v) if isinstance(v, bytes) else v for k, v in items}


def parse_memory_stats(reply: Any) -> dict[str, Any]:
    """MEMORY STATS -> dict with str keys, the ``db.N`` entries as nested dicts."""
    stats = _str_dict(reply)
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, (list, dict)):
            stats[key] = _str_dict(value)
    return stats


def _command_entry(cmd: list[Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": to_str(cmd[0]),
        "arity": int(cmd[1]),
        "flags": [to_str(f) for f in cmd[2]],
        "first_key_pos": cmd[3],
        "last_key_pos": cmd[4],
        "step_count": cmd[5],
    }
    if len(cmd) > 6:
        entry["acl_categories"] = [to_str(c) for c in cmd[6]]
    if len(cmd) > 7:
        entry["tips"] = cmd[7]
        entry["key_specifications"] = cmd[8]
        entry["subcommands"] = cmd[9]
    return entry


def parse_command(reply: Any) -> dict[str, dict[str, Any]]:
    """COMMAND / COMMAND INFO -> {name: {'name', 'arity', 'flags', 'first_key_pos',
    'last_key_pos', 'step_count', 'acl_categories', 'tips', 'key_specifications',
    'subcommands'}} (redis-py's shape); unknown names in COMMAND INFO are left out."""
    out = {}
    for cmd in reply:
        if cmd is not None:
            entry = _command_entry(cmd)
            out[entry["name"]] = entry
    return out


def _docs_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_str(k): _docs_value(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(x, list) for x in value):
            return [_docs_value(x) for x in value]
        if len(value) % 2 == 0 and all(isinstance(k, (bytes, str)) for k in value[::2]):
            return {to_str(k): _docs_value(v) for k, v in pairs_to_dict(value).items()}
        return [_docs_value(x) for x in value]
    return value


def parse_command_docs(reply: Any) -> dict[str, Any]:
    """COMMAND DOCS -> {name: {'summary', 'since', 'group', 'complexity', 'arguments', ...}}
    with str keys, nested maps as dicts and argument lists as lists of dicts."""
    if isinstance(reply, dict):
        return {to_str(k): _docs_value(v) for k, v in reply.items()}
    it = iter(reply)
    return {to_str(k): _docs_value(v) for k, v in zip(it, it, strict=False)}


def _module_list(reply: Any) -> list[dict[Any, Any]]:
    return [pairs_to_dict(m) for m in reply]


def _latency_histogram(reply: Any) -> dict[str, Any]:
    """LATENCY HISTOGRAM -> {command: {'calls': n, 'histogram_usec': {bucket_us: count}}}."""
    out = {}
    for name, data in pairs_to_dict(reply).items():
        d = {to_str(k): v for k, v in pairs_to_dict(data).items()}
        if "histogram_usec" in d:
            d["histogram_usec"] = {int(k): int(v) for k, v in pairs_to_dict(d["histogram_usec"]).items()}
        out[to_str(name)] = d
    return out


def _refuse(what: str, instead: str) -> DataError:
    return DataError(f"{what} changes the state of a connection that other tasks share "
                     f"(connections are multiplexed): {instead}")


class ManagementCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    # ------------------------------------------------------------------ persistence
    def save(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Write the dataset to disk, blocking the server until done; True."""
        return self._execute_on(target_nodes, ("SAVE",), ok)

    def bgsave(self, schedule: bool = True,
               *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Start a background save (with ``schedule``, after a running AOF rewrite instead
        of failing); True."""
        args = ("BGSAVE", "SCHEDULE") if schedule else ("BGSAVE",)
        return self._execute_on(target_nodes, args, _true)

    def bgrewriteaof(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Start an append-only-file rewrite in the background; True."""
        return self._execute_on(target_nodes, ("BGREWRITEAOF",), _true)

    def lastsave(self,
                 *, target_nodes: TargetNodesT | None = None) -> Reply[datetime.datetime | None]:
        """Time of the last successful save, as a local naive ``datetime`` (redis-py's shape)."""
        return self._execute_on(target_nodes, ("LASTSAVE",), _lastsave)

    # ------------------------------------------------------------------ replication / roles
    def role(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[Any]]:
        """The server's role: ``[b'master', offset, [[ip, port, offset], ...]]``,
        ``[b'slave', host, port, state, offset]`` or ``[b'sentinel', [names]]``."""
        return self._execute_on(target_nodes, ("ROLE",))

    def replicaof(self, *args: EncodableT) -> Reply[AnyStr]:
        """``replicaof(host, port)`` makes the server a replica, ``replicaof("NO", "ONE")``
        a primary again; the server's ``OK`` status."""
        if len(args) != 2:
            raise DataError("replicaof takes host and port, or 'NO', 'ONE'")
        return self._execute(("REPLICAOF", *args))

    def slaveof(self, host: str | None = None, port: int | None = None) -> Reply[bool]:
        """Old name of REPLICAOF: no arguments means ``NO ONE``; True."""
        if host is None and port is None:
            return self._execute(("SLAVEOF", b"NO", b"ONE"), ok)
        if host is None or port is None:
            raise DataError("slaveof takes both host and port, or neither")
        return self._execute(("SLAVEOF", host, port), ok)

    def failover(self, host: str | None = None, port: int | None = None, force: bool = False,
                 abort: bool = False, timeout: int | None = None) -> Reply[bool]:
        """Hand the primary role to a replica (``host``/``port``, or one the server picks);
        ``abort`` cancels a failover in progress; ``timeout`` in ms. True once started.
        (redis-py does not implement it.)"""
        args: tuple[Any, ...] = ("FAILOVER",)
        if (host is None) != (port is None):
            raise DataError("FAILOVER TO needs both host and port")
        if host is not None:
            args += ("TO", host, port, "FORCE") if force else ("TO", host, port)
        elif force:
            raise DataError("FAILOVER FORCE needs host and port (and a timeout)")
        if abort:
            if len(args) > 1 or timeout is not None:
                raise DataError("FAILOVER ABORT takes no other argument")
            args += ("ABORT",)
        if timeout is not None:
            args += ("TIMEOUT", timeout)
        return self._execute(args, ok)

    def wait(self, num_replicas: int, timeout: int) -> Reply[int]:
        """Block until earlier writes reached ``num_replicas`` replicas or ``timeout`` ms
        passed (0: forever), on a connection of its own; the number of replicas reached.
        Note: on a shared client the earlier writes may have gone over another connection."""
        return self._execute_blocking(("WAIT", num_replicas, timeout))

    def waitaof(self, num_local: int, num_replicas: int, timeout: int) -> Reply[list[int]]:
        """Block until earlier writes are fsynced to the AOF locally (``num_local`` 0/1) and
        on ``num_replicas`` replicas, or ``timeout`` ms passed; ``[local, replicas]``."""
        return self._execute_blocking(("WAITAOF", num_local, num_replicas, timeout))

    async def shutdown(self, save: bool = False, nosave: bool = False, now: bool = False,
                       force: bool = False, abort: bool = False,
                       *, target_nodes: TargetNodesT | None = None) -> None:
        """Stop the server (saving or not), or ``abort`` a shutdown in progress. Returns
        None once the connection dropped; raises RedisError if the server is still up."""
        if save and nosave:
            raise DataError("SHUTDOWN save and nosave cannot both be set")
        args: tuple[Any, ...] = ("SHUTDOWN",)
        for flag, word in ((save, "SAVE"), (nosave, "NOSAVE"), (now, "NOW"), (force, "FORCE"),
                           (abort, "ABORT")):
            if flag:
                args += (word,)
        try:
            reply = await self._execute_on(target_nodes, args)
        except ConnectionError:
            return None
        if abort and ok(reply):
            return None
        raise RedisError("SHUTDOWN seems to have failed.")

    def migrate(self, host: str, port: int, keys: KeyT | Sequence[KeyT], destination_db: int,
                timeout: int, copy: bool = False, replace: bool = False,
                auth: str | None = None) -> Reply[AnyStr]:
        """Move ``keys`` to another server's ``destination_db`` (``copy`` keeps them here);
        ``OK`` or ``NOKEY`` when none existed."""
        keys = list_or_args(keys, ())
        if not keys:
            raise DataError("MIGRATE requires at least one key")
        args: tuple[Any, ...] = ("MIGRATE", host, port, "", destination_db, timeout)
        if copy:
            args += ("COPY",)
        if replace:
            args += ("REPLACE",)
        if auth:
            args += ("AUTH", auth)
        return self._execute((*args, "KEYS", *keys))

    # ------------------------------------------------------------------ config / misc
    def config_rewrite(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """Rewrite the config file with the running configuration; ``OK``."""
        return self._execute_on(target_nodes, ("CONFIG", "REWRITE"))

    def lolwut(self, *version_numbers: str | float,
               target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """Computer art and the server version, as text."""
        if version_numbers:
            return self._execute_on(target_nodes, ("LOLWUT", "VERSION", *version_numbers))
        return self._execute_on(target_nodes, ("LOLWUT",))

    # ------------------------------------------------------------------ MEMORY
    def memory_stats(self, *, target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any]]:
        """The server's memory report as a dict with str keys (``db.N`` nested)."""
        return self._execute_on(target_nodes, ("MEMORY", "STATS"), parse_memory_stats)

    def memory_malloc_stats(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """The allocator's own statistics, as text."""
        return self._execute_on(target_nodes, ("MEMORY", "MALLOC-STATS"))

    def memory_purge(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Ask the allocator to release dirty pages; True."""
        return self._execute_on(target_nodes, ("MEMORY", "PURGE"), ok)

    def memory_doctor(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """The server's advice about its memory use, as text (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("MEMORY", "DOCTOR"))

    def memory_help(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """The MEMORY sub-commands' help, one line each."""
        return self._execute_on(target_nodes, ("MEMORY", "HELP"))

    # ------------------------------------------------------------------ LATENCY
    def latency_doctor(self, *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """The latency monitor's report, as text (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("LATENCY", "DOCTOR"))

    def latency_graph(self, event: str,
                      *, target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """An ASCII graph of ``event``'s latency samples (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("LATENCY", "GRAPH", event))

    def latency_histogram(self, *args: str,
                          target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any]]:
        """Per-command latency histograms (all commands, or those named):
        ``{command: {'calls': n, 'histogram_usec': {bucket_us: count}}}``
        (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("LATENCY", "HISTOGRAM", *args), _latency_histogram)

    def latency_history(self, event: str,
                        *, target_nodes: TargetNodesT | None = None) -> Reply[list[list[int]]]:
        """``[[unix_time, latency_ms], ...]`` samples of ``event``."""
        return self._execute_on(target_nodes, ("LATENCY", "HISTORY", event))

    def latency_latest(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[list[Any]]]:
        """``[[event, unix_time, latest_ms, max_ms], ...]``."""
        return self._execute_on(target_nodes, ("LATENCY", "LATEST"))

    def latency_reset(self, *events: str, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """Reset the samples of ``events`` (all when none given); how many were reset."""
        return self._execute_on(target_nodes, ("LATENCY", "RESET", *events))

    # ------------------------------------------------------------------ COMMAND
    def command(self,
                *, target_nodes: TargetNodesT | None = None) -> Reply[dict[str, dict[str, Any]]]:
        """Every command's metadata, ``{name: {...}}`` as redis-py gives it."""
        return self._execute_on(target_nodes, ("COMMAND",), parse_command)

    def command_info(self, *command_names: str,
                     target_nodes: TargetNodesT | None = None) -> Reply[dict[str, dict[str, Any]]]:
        """Metadata of the named commands (all with no names), shaped as ``command()``;
        unknown names are left out (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("COMMAND", "INFO", *command_names), parse_command)

    def command_docs(self, *args: str,
                     target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any]]:
        """Documentation of the named commands (all with no names): ``{name: {'summary',
        'since', 'group', 'complexity', 'arguments', ...}}`` (redis-py does not implement it)."""
        return self._execute_on(target_nodes, ("COMMAND", "DOCS", *args), parse_command_docs)

    def command_getkeys(self, *args: EncodableT,
                        target_nodes: TargetNodesT | None = None) -> Reply[list[str]]:
        """The key arguments of the command ``args``, as str (redis-py's shape)."""
        return self._execute_on(target_nodes, ("COMMAND", "GETKEYS", *args), _strs)

    def command_getkeysandflags(self, *args: EncodableT,
                                target_nodes: TargetNodesT | None = None) -> Reply[list[list[Any]]]:
        """``[[key, [flags]], ...]`` for the command ``args``."""
        return self._execute_on(target_nodes, ("COMMAND", "GETKEYSANDFLAGS", *args))

    def command_list(self, module: str | None = None, category: str | None = None,
                     pattern: str | None = None,
                     *, target_nodes: TargetNodesT | None = None) -> Reply[list[AnyStr]]:
        """Command names, optionally only one module's, one ACL category's or those
        matching a pattern (one filter at most, as the server allows)."""
        given: list[tuple[str, str]] = [(w, v) for w, v in (("MODULE", module), ("ACLCAT", category), ("PATTERN", pattern))
                 if v is not None]
        if len(given) > 1:
            raise DataError("command_list takes at most one of module, category, pattern")
        if given:
            return self._execute_on(target_nodes, ("COMMAND", "LIST", "FILTERBY", *given[0]))
        return self._execute_on(target_nodes, ("COMMAND", "LIST"))

    # ------------------------------------------------------------------ MODULE
    def module_list(self,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[list[dict[Any, Any]]]:
        """Loaded modules, ``[{b'name': ..., b'ver': ..., ...}]``."""
        return self._execute_on(target_nodes, ("MODULE", "LIST"), _module_list)

    def module_load(self, path: str, *args: EncodableT) -> Reply[bool]:
        """Load a module from ``path`` with its arguments; True."""
        return self._execute(("MODULE", "LOAD", path, *args), bool)

    def module_loadex(self, path: str, options: list[str] | None = None,
                      args: list[str] | None = None) -> Reply[AnyStr]:
        """MODULE LOADEX: ``options`` are CONFIG name/value items, ``args`` module arguments."""
        cmd: tuple[Any, ...] = ("MODULE", "LOADEX", path)
        if options is not None:
            cmd += ("CONFIG",) + tuple(options)
        if args is not None:
            cmd += ("ARGS",) + tuple(args)
        return self._execute(cmd)

    def module_unload(self, name: str) -> Reply[bool]:
        """Unload a module by name; True."""
        return self._execute(("MODULE", "UNLOAD", name), bool)

    # ------------------------------------------------------------------ cluster connection modes
    def readonly(self) -> Reply[bool]:
        """Allow reads from a cluster replica on this connection; True (an error outside
        cluster mode)."""
        return self._execute(("READONLY",), ok)

    def readwrite(self) -> Reply[bool]:
        """Undo READONLY on this connection; True (an error outside cluster mode)."""
        return self._execute(("READWRITE",), ok)

    # ------------------------------------------------------------------ CLIENT
    def client_getredir(self, *, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """The client id tracking invalidations are redirected to (-1 tracking off, 0 none)."""
        return self._execute_on(target_nodes, ("CLIENT", "GETREDIR"))

    def client_no_evict(self, mode: str) -> Reply[AnyStr]:
        """``ON`` exempts this connection from client eviction (Redis >= 7.0); ``OK``."""
        return self._execute(("CLIENT", "NO-EVICT", _on_off(mode)))

    def client_no_touch(self, mode: str) -> Reply[AnyStr]:
        """``ON``: this connection's reads do not update keys' LRU/LFU (Redis >= 7.2,
        Valkey); ``OK``."""
        return self._execute(("CLIENT", "NO-TOUCH", _on_off(mode)))

    def client_reply(self, reply: str) -> Reply[AnyStr]:
        """``ON`` only: OFF and SKIP silence the server's replies, and on a multiplexed
        connection every later reply would then be matched to the wrong command."""
        if reply not in ("ON", "OFF", "SKIP"):
            raise DataError("CLIENT REPLY must be one of ['ON', 'OFF', 'SKIP']")
        if reply != "ON":
            raise _refuse(f"CLIENT REPLY {reply}", "replies are how commands are matched")
        return self._execute(("CLIENT", "REPLY", "ON"))

    def client_setinfo(self, attr: str, value: str) -> Reply[bool]:
        """Set ``lib-name`` or ``lib-ver`` of this connection (Redis >= 7.2, Valkey); True."""
        return self._execute(("CLIENT", "SETINFO", attr, value), ok)

    def client_tracking(self, on: bool = True, clientid: int | None = None,
                        prefix: Sequence[KeyT] = (), bcast: bool = False, optin: bool = False,
                        optout: bool = False, noloop: bool = False) -> Reply[AnyStr]:
        """Turn server-assisted client-side caching on or off for the connection this
        runs on (use a dedicated connection, ``clientid`` to redirect invalidations to);
        ``OK``."""
        if isinstance(prefix, STRING_TYPES):
            prefix = [prefix]
        if len(prefix) != 0 and bcast is False:
            raise DataError("Prefix can only be used with bcast")
        args: tuple[Any, ...] = ("CLIENT", "TRACKING", "ON" if on else "OFF")
        if clientid is not None:
            args += ("REDIRECT", clientid)
        for p in prefix:
            args += ("PREFIX", p)
        for flag, word in ((bcast, "BCAST"), (optin, "OPTIN"), (optout, "OPTOUT"), (noloop, "NOLOOP")):
            if flag:
                args += (word,)
        return self._execute(args)

    def client_tracking_on(self, clientid: int | None = None, prefix: Sequence[KeyT] = (),
                           bcast: bool = False, optin: bool = False, optout: bool = False,
                           noloop: bool = False) -> Reply[AnyStr]:
        """``client_tracking(True, ...)``."""
        return self.client_tracking(True, clientid, prefix, bcast, optin, optout, noloop)

    def client_tracking_off(self, clientid: int | None = None, prefix: Sequence[KeyT] = (),
                            bcast: bool = False, optin: bool = False, optout: bool = False,
                            noloop: bool = False) -> Reply[AnyStr]:
        """``client_tracking(False, ...)``."""
        return self.client_tracking(False, clientid, prefix, bcast, optin, optout, noloop)

    def client_trackinginfo(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[Any]]:
        """This connection's tracking state as redis-py's flat list
        ``['flags', [...], 'redirect', -1, 'prefixes', [...]]``."""
        return self._execute_on(target_nodes, ("CLIENT", "TRACKINGINFO"), _trackinginfo)

    def client_unblock(self, client_id: int, error: bool = False,
                       *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Unblock a client blocked in BLPOP, WAIT ... (with ``error`` it gets an UNBLOCKED
        error instead of a timeout reply); whether that client was blocked."""
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            raise DataError("client_id must be an int")
        if error:
            return self._execute_on(target_nodes, ("CLIENT", "UNBLOCK", client_id, "ERROR"), bool)
        return self._execute_on(target_nodes, ("CLIENT", "UNBLOCK", client_id), bool)

    # ------------------------------------------------------------------ refused
    def auth(self, password: str, username: str | None = None) -> Reply[bool]:
        """Refused (DataError): AUTH would authenticate one pooled connection only. Pass
        ``username=``/``password=`` to the client; every connection authenticates."""
        raise _refuse("AUTH", "pass username=/password= to Redis(...) or from_url instead")

    def quit(self) -> Reply[bool]:
        """Refused (DataError): QUIT would close a connection other tasks share; use
        ``await r.aclose()``."""
        raise _refuse("QUIT", "use await r.aclose() instead")

    def reset(self) -> Reply[AnyStr]:
        """Refused (DataError) on a client: RESET would drop a shared connection's
        database, user and subscriptions. (``Pipeline.reset()`` is unrelated and works.)"""
        raise _refuse("RESET", "create a new client for a clean state")

    def hello(self) -> None:
        """Not implemented, as in redis-py: choose the protocol with ``protocol=3``."""
        raise NotImplementedError("HELLO is intentionally not implemented in the client: use protocol=3")

    def sync(self) -> Reply[bytes]:
        """Refused (DataError): SYNC turns the connection into a replication stream."""
        raise _refuse("SYNC", "it turns the connection into a replication stream")

    def psync(self, replicationid: str, offset: int) -> Reply[bytes]:
        """Refused (DataError): PSYNC turns the connection into a replication stream."""
        raise _refuse("PSYNC", "it turns the connection into a replication stream")

    def debug_segfault(self) -> None:
        """Not implemented, as in redis-py: it crashes the server."""
        raise NotImplementedError("DEBUG SEGFAULT is intentionally not implemented in the client.")

    def script_debug(self, *args: Any) -> None:
        """Not implemented, as in redis-py: the Lua debugger needs an interactive session."""
        raise NotImplementedError("SCRIPT DEBUG is intentionally not implemented in the client.")

    def watch(self, *names: KeyT) -> Reply[bool]:
        """Refused (DataError) on a client: WATCH only means something on the connection
        that runs the MULTI/EXEC. Use ``pipe.watch(...)`` or ``r.transaction(...)``."""
        raise _refuse("WATCH", "use a pipeline's watch() or r.transaction(func, *keys)")

    def unwatch(self) -> Reply[bool]:
        """Refused (DataError) on a client: see ``watch``; ``pipe.unwatch()`` works."""
        raise _refuse("UNWATCH", "use a pipeline's unwatch()")


def _on_off(mode: Any) -> str:
    if not isinstance(mode, str) or mode.upper() not in ("ON", "OFF"):
        raise DataError(f"mode must be 'ON' or 'OFF', got {mode!r}")
    return mode.upper()
