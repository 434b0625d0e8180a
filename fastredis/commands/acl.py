"""ACL commands (ACL SETUSER, GETUSER, LOG ...), redis-py's arguments and shapes.

Names, categories and rules come back as ``str`` (redis-py decodes them whatever
``decode_responses`` says); key patterns stay as the server sent them. ``acl_setuser``
builds its rules exactly as redis-py does and refuses the same inputs with DataError.
Passwords given to ``acl_setuser`` are sent, never logged: a failing command's error
message is the server's, which does not repeat them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AnyStr

from ..exceptions import DataError
from ._base import CommandsBase, list_or_args, ok, to_str
from .server import parse_client_info

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..typing import ChannelT, EncodableT, KeyT, Reply, TargetNodesT


def _strs(reply: Any) -> list[str]:
    return [to_str(x) for x in reply]


def _text(reply: Any) -> str:
    return to_str(reply)


def _enc(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value).encode()
    raise DataError(f"Invalid ACL rule part of type {type(value).__name__!r}")


def _decoded_pairs(reply: Any) -> dict[str, Any]:
    if isinstance(reply, dict):
        return {to_str(k): v for k, v in reply.items()}
    it = iter(reply)
    return {to_str(k): v for k, v in zip(it, it, strict=False)}


def parse_acl_getuser(reply: Any) -> dict[str, Any] | None:
    """ACL GETUSER -> redis-py's dict: 'flags', 'passwords' (hashes), 'commands' and
    'categories' as lists of str, 'keys'/'channels' as lists, 'enabled' bool, 'selectors'
    as lists of str; None for an unknown user."""
    if reply is None:
        return None
    data = _decoded_pairs(reply)
    data["flags"] = _strs(data["flags"])
    data["passwords"] = _strs(data["passwords"])
    rules = to_str(data["commands"])
    if isinstance(data["keys"], (str, bytes)):
        data["keys"] = to_str(data["keys"]).split(" ")
    if data["keys"] == [""]:
        data["keys"] = []
    if "channels" in data:
        if isinstance(data["channels"], (str, bytes)):
            data["channels"] = to_str(data["channels"]).split(" ")
        if data["channels"] == [""]:
            data["channels"] = []
    if data.get("selectors"):
        data["selectors"] = [
            # RESP3 sends each selector as a map: flattened to RESP2's list (redis-py's legacy)
            _strs(s) if isinstance(s, list) else [to_str(x) for kv in s.items() for x in kv]
            for s in data["selectors"]
        ]
    commands: list[str] = []
    categories: list[str] = []
    for rule in rules.split(" "):
        (categories if "@" in rule else commands).append(rule)
    data["commands"] = commands
    data["categories"] = categories
    data["enabled"] = "on" in data["flags"]
    return data


def parse_acl_log(reply: Any) -> list[dict[str, Any]]:
    """ACL LOG -> list of dicts with str keys and str values, 'age-seconds' a float and
    'client-info' parsed like ``client_info()``."""
    out = []
    for entry in reply:
        d = {k: to_str(v) if isinstance(v, bytes) else v for k, v in _decoded_pairs(entry).items()}
        d["client-info"] = parse_client_info(d.get("client-info", ""))
        d["age-seconds"] = float(d["age-seconds"])
        out.append(d)
    return out


def _rule(value: Any, add: bytes, remove: bytes, what: str, i: int) -> bytes:
    v = _enc(value)
    if v.startswith(b"+"):
        return add + v[1:]
    if v.startswith(b"-"):
        return remove + v[1:]
    raise DataError(f'{what} {i} must be prefixed with a "+" to add or a "-" to remove')


def _key_pattern(key: Any) -> bytes:
    k = _enc(key)
    return k if k.startswith((b"%", b"~")) else b"~" + k


def _command_rule(cmd: Any) -> bytes:
    c = _enc(cmd)
    if not c.startswith((b"+", b"-")):
        raise DataError(f'Command "{c.decode(errors="replace")}" must be prefixed with "+" or "-"')
    return c


class ACLCommands(CommandsBase[AnyStr]):
    __slots__ = ()

    def acl_cat(self, category: str | None = None,
                *, target_nodes: TargetNodesT | None = None) -> Reply[list[str]]:
        """The ACL categories, or the commands of ``category``, as str."""
        return self._execute_on(target_nodes, ("ACL", "CAT", category) if category else ("ACL", "CAT"), _strs)

    def acl_deluser(self, *username: str, target_nodes: TargetNodesT | None = None) -> Reply[int]:
        """Delete users; returns how many existed."""
        return self._execute_on(target_nodes, ("ACL", "DELUSER", *username))

    def acl_dryrun(self, username: str, *args: EncodableT,
                   target_nodes: TargetNodesT | None = None) -> Reply[AnyStr]:
        """Whether ``username`` could run the command ``args``: ``OK`` or the reason it
        could not (the server's text, not an error)."""
        return self._execute_on(target_nodes, ("ACL", "DRYRUN", username, *args))

    def acl_genpass(self, bits: int | None = None,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[str]:
        """A random password from the server's CSPRNG (``bits`` of entropy, default 256),
        as a hex str."""
        if bits is None:
            return self._execute_on(target_nodes, ("ACL", "GENPASS"), _text)
        try:
            b = int(bits)
            if b < 0 or b > 4096:
                raise ValueError
        except (ValueError, TypeError):
            raise DataError("genpass optionally accepts a bits argument, between 0 and 4096.") from None
        return self._execute_on(target_nodes, ("ACL", "GENPASS", b), _text)

    def acl_getuser(self, username: str,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[dict[str, Any] | None]:
        """The user's flags, password hashes, commands, categories, keys, channels and
        selectors as a dict (redis-py's shape); None when there is no such user."""
        return self._execute_on(target_nodes, ("ACL", "GETUSER", username), parse_acl_getuser)

    def acl_help(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[str]]:
        """The server's ACL help text, one str per line."""
        return self._execute_on(target_nodes, ("ACL", "HELP"), _strs)

    def acl_list(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[str]]:
        """Every user's rules in ACL-file form, one str per user."""
        return self._execute_on(target_nodes, ("ACL", "LIST"), _strs)

    def acl_load(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Reload users from the configured ACL file; True on success."""
        return self._execute_on(target_nodes, ("ACL", "LOAD"), ok)

    def acl_log(self, count: int | None = None,
                *, target_nodes: TargetNodesT | None = None) -> Reply[list[dict[str, Any]]]:
        """The most recent ACL denials (up to ``count``), newest first, as dicts."""
        if count is None:
            return self._execute_on(target_nodes, ("ACL", "LOG"), parse_acl_log)
        if isinstance(count, bool) or not isinstance(count, int):
            raise DataError("ACL LOG count must be an integer")
        return self._execute_on(target_nodes, ("ACL", "LOG", count), parse_acl_log)

    def acl_log_reset(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Clear the ACL log; True."""
        return self._execute_on(target_nodes, ("ACL", "LOG", "RESET"), ok)

    def acl_save(self, *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Write the users to the configured ACL file; True on success."""
        return self._execute_on(target_nodes, ("ACL", "SAVE"), ok)

    def acl_setuser(self, username: str, enabled: bool = False, nopass: bool = False,
                    passwords: str | Iterable[str] | None = None,
                    hashed_passwords: str | Iterable[str] | None = None,
                    categories: Iterable[str] | None = None,
                    commands: Iterable[str] | None = None,
                    keys: Iterable[KeyT] | None = None,
                    channels: Iterable[ChannelT] | None = None,
                    selectors: Iterable[tuple[str, KeyT]] | None = None,
                    reset: bool = False, reset_keys: bool = False,
                    reset_channels: bool = False,
                    reset_passwords: bool = False,
                    *, target_nodes: TargetNodesT | None = None) -> Reply[bool]:
        """Create or modify a user, rules built as redis-py builds them: passwords and
        categories prefixed ``+`` (add) or ``-`` (remove), commands ``+cmd``/``-cmd``, keys
        as patterns (``~`` added unless given), ``enabled`` False means ``off``. True."""
        args: list[Any] = ["ACL", "SETUSER", username]
        if reset:
            args.append(b"reset")
        if reset_keys:
            args.append(b"resetkeys")
        if reset_channels:
            args.append(b"resetchannels")
        if reset_passwords:
            args.append(b"resetpass")
        args.append(b"on" if enabled else b"off")
        if (passwords or hashed_passwords) and nopass:
            raise DataError("Cannot set 'nopass' and supply 'passwords' or 'hashed_passwords'")
        if passwords:
            args += [_rule(p, b">", b"<", "Password", i)
                     for i, p in enumerate(list_or_args(passwords, ()))]
        if hashed_passwords:
            args += [_rule(p, b"#", b"!", "Hashed password", i)
                     for i, p in enumerate(list_or_args(hashed_passwords, ()))]
        if nopass:
            args.append(b"nopass")
        for category in categories or ():
            c = _enc(category)
            if c.startswith((b"+@", b"-@")):
                args.append(c)
            elif c.startswith((b"+", b"-")):
                args.append(c[:1] + b"@" + c[1:])
            else:
                raise DataError(f'Category "{c.decode(errors="replace")}" must be prefixed with "+" or "-"')
        args += [_command_rule(cmd) for cmd in commands or ()]
        args += [_key_pattern(k) for k in keys or ()]
        args += [b"&" + _enc(ch) for ch in channels or ()]
        for cmd, key in selectors or ():
            args.append(b"(" + _command_rule(cmd) + b" " + _key_pattern(key) + b")")
        return self._execute_on(target_nodes, tuple(args), ok)

    def acl_users(self, *, target_nodes: TargetNodesT | None = None) -> Reply[list[str]]:
        """The user names, as str."""
        return self._execute_on(target_nodes, ("ACL", "USERS"), _strs)

    def acl_whoami(self, *, target_nodes: TargetNodesT | None = None) -> Reply[str]:
        """The user this connection is authenticated as, as str."""
        return self._execute_on(target_nodes, ("ACL", "WHOAMI"), _text)
