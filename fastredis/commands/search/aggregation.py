"""FT.AGGREGATE's request and result (redis-py's classes): ``AggregateRequest`` built by
chained calls (``load``, ``group_by`` with reducers, ``apply``, ``filter``, ``sort_by``
with ``Asc``/``Desc``, ``limit``, ``cursor`` ...), ``Cursor`` for FT.CURSOR READ and
``AggregateResult`` (``rows``, ``cursor``, ``schema``, ``total``, ``warnings``)."""

from __future__ import annotations

from typing import Any

from .dialect import DEFAULT_DIALECT

__all__ = ["FIELDNAME", "AggregateRequest", "AggregateResult", "Asc", "Cursor", "Desc",
           "Limit", "Reducer", "SortDirection"]

#: ``reducer.alias(FIELDNAME)``: alias the reducer by the name of the field it reduces
FIELDNAME = object()


class Limit:
    """``LIMIT offset count``."""

    def __init__(self, offset: int = 0, count: int = 0) -> None:
        self.offset = offset
        self.count = count

    def build_args(self) -> list[str]:
        return ["LIMIT", str(self.offset), str(self.count)]


class Reducer:
    """A ``GROUPBY`` reducer; the concrete ones are in ``reducers``."""

    NAME: str | None = None

    def __init__(self, *args: str) -> None:
        self._args: tuple[str, ...] = args
        self._field: str | None = None
        self._alias: str | None = None

    def alias(self, alias: Any) -> Reducer:
        """The name of the reducer's output (``AS``); :data:`FIELDNAME` names it after
        its field, without the ``@``."""
        if alias is FIELDNAME:
            if not self._field:
                raise ValueError("Cannot use FIELDNAME alias with no field")
            alias = self._field.removeprefix("@")
        self._alias = alias
        return self

    @property
    def args(self) -> tuple[str, ...]:
        return self._args


class SortDirection:
    """A field with a sort direction (see :class:`Asc`, :class:`Desc`)."""

    DIRSTRING: str | None = None

    def __init__(self, field: str) -> None:
        self.field = field


class Asc(SortDirection):
    """Sort ``field`` ascending."""

    DIRSTRING = "ASC"


class Desc(SortDirection):
    """Sort ``field`` descending."""

    DIRSTRING = "DESC"


class AggregateRequest:
    """An aggregation: the query and its pipeline of steps; every step method returns the
    request."""

    def __init__(self, query: str = "*") -> None:
        self._query: str = query
        self._aggregateplan: list[str] = []
        self._loadfields: list[str] = []
        self._loadall: bool = False
        self._max: int = 0
        self._with_schema: bool = False
        self._verbatim: bool = False
        self._cursor: list[str] = []
        self._dialect: int = DEFAULT_DIALECT
        self._add_scores: bool = False
        self._scorer: str = "TFIDF"

    def load(self, *fields: str) -> AggregateRequest:
        """Load these fields (``@field``) into the rows; no field: all of them."""
        if fields:
            self._loadfields.extend(fields)
        else:
            self._loadall = True
        return self

    def group_by(self, fields: str | list[str], *reducers: Any) -> AggregateRequest:
        """``GROUPBY`` these fields (``@field``), reduced by ``reducers``."""
        names = [fields] if isinstance(fields, str) else fields
        ret = ["GROUPBY", str(len(names)), *names]
        for reducer in reducers:
            ret += ["REDUCE", reducer.NAME, str(len(reducer.args))]
            ret.extend(reducer.args)
            if reducer._alias is not None:
                ret += ["AS", reducer._alias]
        self._aggregateplan.extend(ret)
        return self

    def apply(self, **kwexpr: str) -> AggregateRequest:
        """``APPLY expr AS alias`` for each ``alias=expr``."""
        for alias, expr in kwexpr.items():
            self._aggregateplan.extend(["APPLY", expr, "AS", alias])
        return self

    def limit(self, offset: int, num: int) -> AggregateRequest:
        """``LIMIT`` the rows so far (the query's, or the last group's)."""
        self._aggregateplan.extend(Limit(offset, num).build_args())
        return self

    def sort_by(self, *fields: str | SortDirection, **kwargs: Any) -> AggregateRequest:
        """``SORTBY`` fields (``Asc("@f")``/``Desc("@f")`` for a direction); ``max=N``
        keeps the first N."""
        fields_args: list[Any] = []
        for f in fields:
            if isinstance(f, SortDirection) or hasattr(f, "DIRSTRING"):
                fields_args += [f.field, f.DIRSTRING]  # type: ignore[union-attr]
            else:
                fields_args += [f]
        ret = ["SORTBY", str(len(fields_args)), *fields_args]
        max_ = kwargs.get("max", 0)
        if max_ > 0:
            ret += ["MAX", str(max_)]
        self._aggregateplan.extend(ret)
        return self

    def filter(self, expressions: str | list[str]) -> AggregateRequest:
        """``FILTER`` the rows with these expressions."""
        if isinstance(expressions, str):
            expressions = [expressions]
        for expression in expressions:
            self._aggregateplan.extend(["FILTER", expression])
        return self

    def with_schema(self) -> AggregateRequest:
        """``WITHSCHEMA`` (RESP2: the result's ``schema``)."""
        self._with_schema = True
        return self

    def add_scores(self) -> AggregateRequest:
        """``ADDSCORES``: the score as a field of each row."""
        self._add_scores = True
        return self

    def scorer(self, scorer: str) -> AggregateRequest:
        """The scoring function (``SCORER``; ``TFIDF`` by default, as redis-py)."""
        self._scorer = scorer
        return self

    def verbatim(self) -> AggregateRequest:
        """``VERBATIM``: no query expansion nor stemming."""
        self._verbatim = True
        return self

    def cursor(self, count: int = 0, max_idle: float = 0.0) -> AggregateRequest:
        """``WITHCURSOR``: read the rows ``count`` at a time; ``max_idle`` in seconds."""
        args = ["WITHCURSOR"]
        if count:
            args += ["COUNT", str(count)]
        if max_idle:
            args += ["MAXIDLE", str(max_idle * 1000)]
        self._cursor = args
        return self

    def build_args(self) -> list[str]:
        """The arguments of FT.AGGREGATE after the index name."""
        ret = [self._query]
        if self._with_schema:
            ret.append("WITHSCHEMA")
        if self._verbatim:
            ret.append("VERBATIM")
        if self._scorer:
            ret.extend(["SCORER", self._scorer])
        if self._add_scores:
            ret.append("ADDSCORES")
        if self._cursor:
            ret += self._cursor
        if self._loadall:
            ret += ["LOAD", "*"]
        elif self._loadfields:
            ret += ["LOAD", str(len(self._loadfields)), *self._loadfields]
        if self._dialect:
            ret.extend(["DIALECT", str(self._dialect)])
        ret.extend(self._aggregateplan)
        return ret

    def dialect(self, dialect: int) -> AggregateRequest:
        """The query dialect (``DIALECT``; 2 by default)."""
        self._dialect = dialect
        return self


class Cursor:
    """An aggregation cursor: pass it to ``aggregate()`` again to read the next rows."""

    def __init__(self, cid: int) -> None:
        self.cid = cid
        self.max_idle = 0
        self.count = 0

    def build_args(self) -> list[str]:
        args = [str(self.cid)]
        if self.max_idle:
            args += ["MAXIDLE", str(self.max_idle)]
        if self.count:
            args += ["COUNT", str(self.count)]
        return args


class AggregateResult:
    """``rows`` (each a flat ``[name, value, ...]`` list), the ``cursor`` (a
    :class:`Cursor` when the request had one, whose ``cid`` is 0 once exhausted), the
    ``schema`` (``with_schema()``), ``total`` and the server's ``warnings``."""

    def __init__(self, rows: Any, cursor: Cursor | None, schema: Any, total: int = 0,
                 warnings: list[Any] | None = None) -> None:
        self.rows = rows
        self.cursor = cursor
        self.schema = schema
        self.total = total
        self.warnings = warnings or []

    def __repr__(self) -> str:
        cid = self.cursor.cid if self.cursor else -1
        return (f"<{self.__class__.__name__} at 0x{id(self):x} "
                f"Rows={len(self.rows)}, Cursor={cid}>")
