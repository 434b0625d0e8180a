"""Lua scripting (EVAL, EVALSHA, SCRIPT ...) and ``Script``, the object returned by
``Redis.register_script``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError, NoScriptError
from ._base import CommandsBase, list_or_args, ok, to_str

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import EncodableT, KeyT, Reply, TargetNodesT


def _bools(reply: Any) -> list[bool]:
    return [bool(x) for x in reply]


class ScriptingCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def eval(self, script: str | bytes, numkeys: int,
             *keys_and_args: EncodableT) -> Reply[Any]:
        """EVAL: run a Lua script on the first ``numkeys`` arguments as keys, the rest as
        ARGV; returns what the script returns."""
        return self._execute(("EVAL", script, numkeys, *keys_and_args))

    def evalsha(self, sha: str | bytes, numkeys: int,
                *keys_and_args: EncodableT) -> Reply[Any]:
        """EVALSHA: run a loaded script by its SHA1 (NoScriptError when not loaded)."""
        return self._execute(("EVALSHA", sha, numkeys, *keys_and_args))

    def eval_ro(self, script: str | bytes, numkeys: int,
                *keys_and_args: EncodableT) -> Reply[Any]:
        """EVAL_RO: EVAL of a read-only script (Redis 7); runs on replicas too."""
        return self._execute(("EVAL_RO", script, numkeys, *keys_and_args))

    def evalsha_ro(self, sha: str | bytes, numkeys: int,
                   *keys_and_args: EncodableT) -> Reply[Any]:
        """EVALSHA_RO: EVALSHA of a read-only script (Redis 7)."""
        return self._execute(("EVALSHA_RO", sha, numkeys, *keys_and_args))

    def script_load(self, script: str | bytes,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[str]:
        """SCRIPT LOAD: the SHA1 of the script, as str (redis-py's shape)."""
        return self._execute_on(target_nodes, ("SCRIPT", "LOAD", script), to_str)

    def script_exists(self, *args: str | bytes,
                      target_nodes: TargetNodesT | None = None) -> Reply[list[bool]]:
        """SCRIPT EXISTS: one bool per SHA1."""
        return self._execute_on(target_nodes, ("SCRIPT", "EXISTS", *args), _bools)

    def script_flush(self, sync_type: str | None = None,
                     *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """SCRIPT FLUSH: ``sync_type`` is None, 'ASYNC' or 'SYNC'; returns True."""
        if sync_type is None:
            return self._execute_on(target_nodes, ("SCRIPT", "FLUSH"), ok)
        if sync_type not in ("SYNC", "ASYNC"):
            raise DataError("SCRIPT FLUSH accepts SYNC, ASYNC or None (the server's default)")
        return self._execute_on(target_nodes, ("SCRIPT", "FLUSH", sync_type), ok)

    def script_kill(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """SCRIPT KILL: stop the running read-only script; returns True."""
        return self._execute_on(target_nodes, ("SCRIPT", "KILL"), ok)


class Script:
    """A Lua script run by SHA1: ``await script(keys=[...], args=[...])``.

    The SHA1 is computed here (what SCRIPT LOAD would return), so the first call costs
    one EVALSHA, not a SCRIPT LOAD round trip; on NOSCRIPT (a fresh server, SCRIPT FLUSH,
    a failover) the script is loaded and the EVALSHA retried once."""

    __slots__ = ("registered_client", "script", "sha")

    def __init__(self, registered_client: Any, script: str | bytes) -> None:
        self.registered_client = registered_client
        self.script = script
        if isinstance(script, str):
            # hash the bytes the server will see: str arguments are encoded with the
            # client's encoding (utf-8 unless configured otherwise)
            encoding = getattr(registered_client, "_encoding", None) or "utf-8"
            data = script.encode(encoding)
        else:
            data = bytes(script)
        import hashlib  # here, not at module level: ``import fastredis`` stays light

        self.sha = hashlib.sha1(data).hexdigest()

    async def __call__(self, keys: Iterable[KeyT] | None = None,
                       args: Iterable[EncodableT] | None = None, client: Any = None) -> Any:
        """EVALSHA the script with ``keys`` and ``args`` (on ``client`` if given, e.g. a
        pipeline); loads it and retries once on NOSCRIPT. Returns the script's result."""
        client = self.registered_client if client is None else client
        # list_or_args: a lone str is one key (not its characters), a dict is refused
        keys = list_or_args(keys, ()) if keys is not None else []
        argv = list_or_args(args, ()) if args is not None else []
        scripts = getattr(client, "scripts", None)
        if scripts is not None:  # a pipeline: it loads its scripts before the batch
            scripts.add(self)
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *argv)
        except NoScriptError:
            await client.script_load(self.script)
            return await client.evalsha(self.sha, len(keys), *keys, *argv)

    def __repr__(self) -> str:
        return f"<fastredis.Script sha={self.sha}>"
