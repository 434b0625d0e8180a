"""Build query strings from Python (redis-py's helpers): ``querystring(name="bob",
age=between(20, 30))`` gives ``"@name:bob @age:[20 30]"``; ``union``, ``intersect``,
``disjunct``, ``disjunct_union``, ``optional``-style nodes and the value helpers
``tags``, ``between``, ``equal``, ``lt``, ``le``, ``gt``, ``ge``, ``geo``."""

from __future__ import annotations

from typing import Any

__all__ = ["BaseNode", "DisjunctNode", "DistjunctUnion", "GeoValue", "IntersectNode", "Node",
           "OptionalNode", "RangeValue", "ScalarValue", "TagValue", "UnionNode", "Value",
           "between", "disjunct", "disjunct_union", "equal", "ge", "geo", "gt", "intersect",
           "le", "lt", "querystring", "tags", "union"]


def tags(*t: Any) -> TagValue:
    """Match these tags (``{a | b}``)."""
    if not t:
        raise ValueError("At least one tag must be specified")
    return TagValue(*t)


def between(a: Any, b: Any, inclusive_min: bool = True, inclusive_max: bool = True) -> RangeValue:
    """A numeric range (``None``: unbounded)."""
    return RangeValue(a, b, inclusive_min=inclusive_min, inclusive_max=inclusive_max)


def equal(n: Any) -> RangeValue:
    """Exactly ``n``."""
    return between(n, n)


def lt(n: Any) -> RangeValue:
    """Below ``n``."""
    return between(None, n, inclusive_max=False)


def le(n: Any) -> RangeValue:
    """At most ``n``."""
    return between(None, n, inclusive_max=True)


def gt(n: Any) -> RangeValue:
    """Above ``n``."""
    return between(n, None, inclusive_min=False)


def ge(n: Any) -> RangeValue:
    """At least ``n``."""
    return between(n, None, inclusive_min=True)


def geo(lat: Any, lon: Any, radius: Any, unit: str = "km") -> GeoValue:
    """Within ``radius`` of (``lat``, ``lon``)."""
    return GeoValue(lon, lat, radius, unit)


class Value:
    """A field value of a query node."""

    combinable = False

    @staticmethod
    def make_value(v: Any) -> Value:
        return v if isinstance(v, Value) else ScalarValue(v)

    def to_string(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_string()


class RangeValue(Value):
    combinable = False

    def __init__(self, a: Any, b: Any, inclusive_min: bool = False,
                 inclusive_max: bool = False) -> None:
        self.range = [str("-inf" if a is None else a), str("inf" if b is None else b)]
        self.inclusive_min = inclusive_min
        self.inclusive_max = inclusive_max

    def to_string(self) -> str:
        lo = "" if self.inclusive_min else "("
        hi = "" if self.inclusive_max else "("
        return f"[{lo}{self.range[0]} {hi}{self.range[1]}]"


class ScalarValue(Value):
    combinable = True

    def __init__(self, v: Any) -> None:
        self.v = str(v)

    def to_string(self) -> str:
        return self.v


class TagValue(Value):
    combinable = False

    def __init__(self, *tags: Any) -> None:
        self.tags = tags

    def to_string(self) -> str:
        return "{" + " | ".join(str(t) for t in self.tags) + "}"


class GeoValue(Value):
    def __init__(self, lon: Any, lat: Any, radius: Any, unit: str = "km") -> None:
        self.lon = lon
        self.lat = lat
        self.radius = radius
        self.unit = unit

    def to_string(self) -> str:
        return f"[{self.lon} {self.lat} {self.radius} {self.unit}]"


class Node:
    """A query node: sub-nodes (``children``) and ``field=value`` conditions."""

    JOINSTR = " "

    def __init__(self, *children: Any, **kwparams: Any) -> None:
        self.params: list[Node] = []
        kvparams: dict[str, list[Value]] = {}
        for k, v in kwparams.items():
            curvals = kvparams.setdefault(k, [])
            if isinstance(v, (str, int, float, Value)):
                curvals.append(Value.make_value(v))
            else:
                curvals.extend(Value.make_value(subv) for subv in v)
        self.params += [Node.to_node(p) for p in children]
        for k, vals in kvparams.items():
            self.params.extend(self.join_fields(k, vals))

    def join_fields(self, key: str, vals: list[Value]) -> list[Node]:
        if len(vals) == 1:
            return [BaseNode(f"@{key}:{vals[0].to_string()}")]
        if not vals[0].combinable:
            return [BaseNode(f"@{key}:{v.to_string()}") for v in vals]
        return [BaseNode(f"@{key}:({self.JOINSTR.join(v.to_string() for v in vals)})")]

    @classmethod
    def to_node(cls, obj: Any) -> Node:
        return obj if isinstance(obj, Node) else BaseNode(obj)

    def to_string(self, with_parens: bool | None = None) -> str:
        with_parens = self._should_use_paren(with_parens)
        pre, post = ("(", ")") if with_parens else ("", "")
        return f"{pre}{self.JOINSTR.join(n.to_string() for n in self.params)}{post}"

    def _should_use_paren(self, optval: bool | None) -> bool:
        return optval if optval is not None else len(self.params) > 1

    def __str__(self) -> str:
        return self.to_string()


class BaseNode(Node):
    """A literal piece of query."""

    def __init__(self, s: Any) -> None:
        super().__init__()
        self.s = str(s)

    def to_string(self, with_parens: bool | None = None) -> str:
        return self.s


class IntersectNode(Node):
    """All children must match (AND)."""

    JOINSTR = " "


class UnionNode(Node):
    """Any child may match (OR)."""

    JOINSTR = "|"


class DisjunctNode(IntersectNode):
    """True when the intersection of the children is false (``-(...)``)."""

    def to_string(self, with_parens: bool | None = None) -> str:
        return "-" + super().to_string(with_parens=with_parens)


class DistjunctUnion(DisjunctNode):
    """True when no child matches (redis-py's spelling)."""

    JOINSTR = "|"


class OptionalNode(IntersectNode):
    """Matches rank higher, non-matches are kept (``~(...)``)."""

    def to_string(self, with_parens: bool | None = None) -> str:
        return "~" + super().to_string(with_parens=with_parens)


def intersect(*args: Any, **kwargs: Any) -> IntersectNode:
    return IntersectNode(*args, **kwargs)


def union(*args: Any, **kwargs: Any) -> UnionNode:
    return UnionNode(*args, **kwargs)


def disjunct(*args: Any, **kwargs: Any) -> DisjunctNode:
    return DisjunctNode(*args, **kwargs)


def disjunct_union(*args: Any, **kwargs: Any) -> DistjunctUnion:
    return DistjunctUnion(*args, **kwargs)


def querystring(*args: Any, **kwargs: Any) -> str:
    """The query string of ``intersect(*args, **kwargs)``."""
    return intersect(*args, **kwargs).to_string()
