"""The ``GROUPBY`` reducers of ``AggregateRequest.group_by`` (redis-py's classes, named
like the functions they stand for: ``count()``, ``sum("@f")``, ``avg`` ...)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from .aggregation import Asc, Desc, Reducer, SortDirection

__all__ = ["FieldOnlyReducer", "avg", "collect", "count", "count_distinct",
           "count_distinctish", "first_value", "max", "min", "quantile", "random_sample",
           "stddev", "sum", "tolist"]


def _ensure_at_prefix(name: str) -> str:
    return name if name.startswith("@") else "@" + name


class FieldOnlyReducer(Reducer):
    """A reducer of one field."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self._field = field


class count(Reducer):  # noqa: N801 (redis-py's names)
    """The number of rows in the group."""

    NAME = "COUNT"

    def __init__(self) -> None:
        super().__init__()


class sum(FieldOnlyReducer):  # noqa: N801, A001
    """The sum of the field's values in the group."""

    NAME = "SUM"


class min(FieldOnlyReducer):  # noqa: N801, A001
    """The smallest value of the field in the group."""

    NAME = "MIN"


class max(FieldOnlyReducer):  # noqa: N801, A001
    """The largest value of the field in the group."""

    NAME = "MAX"


class avg(FieldOnlyReducer):  # noqa: N801
    """The mean of the field's values in the group."""

    NAME = "AVG"


class tolist(FieldOnlyReducer):  # noqa: N801
    """The distinct values of the field in the group, as a list."""

    NAME = "TOLIST"


class count_distinct(FieldOnlyReducer):  # noqa: N801
    """The number of distinct values of the field in the group."""

    NAME = "COUNT_DISTINCT"


class count_distinctish(FieldOnlyReducer):  # noqa: N801
    """An estimate of the number of distinct values (faster, less exact)."""

    NAME = "COUNT_DISTINCTISH"


class quantile(Reducer):  # noqa: N801
    """The value at quantile ``pct`` (0 to 1) of the field in the group."""

    NAME = "QUANTILE"

    def __init__(self, field: str, pct: float) -> None:
        super().__init__(field, str(pct))
        self._field = field


class stddev(FieldOnlyReducer):  # noqa: N801
    """The standard deviation of the field's values in the group."""

    NAME = "STDDEV"


class first_value(Reducer):  # noqa: N801
    """The field's first value in the group, in the order ``byfields`` give (``Asc`` or
    ``Desc`` instances, or the class alone to sort by ``field`` itself)."""

    NAME = "FIRST_VALUE"

    def __init__(self, field: str, *byfields: Any) -> None:
        fieldstrs: list[str] = []
        if (len(byfields) == 1 and isinstance(byfields[0], type)
                and issubclass(byfields[0], SortDirection)):
            byfields = (byfields[0](field),)
        for f in byfields:
            fieldstrs += [f.field, f.DIRSTRING]
        args = [field]
        if fieldstrs:
            args += ["BY", *fieldstrs]
        super().__init__(*args)
        self._field = field


class random_sample(Reducer):  # noqa: N801
    """Up to ``size`` random values of the field in the group."""

    NAME = "RANDOM_SAMPLE"

    def __init__(self, field: str, size: int) -> None:
        super().__init__(field, str(size))
        self._field = field


class collect(Reducer):  # noqa: N801
    """``COLLECT`` (a preview reducer of the server, behind
    ``search-enable-unstable-features``): the group's rows projected on ``fields``,
    optionally ``distinct``, sorted and limited (``limit=(offset, count)``)."""

    NAME = "COLLECT"

    def __init__(self, fields: str | Iterable[str] = "*", distinct: bool = False,
                 sort_by: Asc | Desc | Iterable[Asc | Desc] | None = None,
                 limit: tuple[int, int] | None = None) -> None:
        args: list[str] = []
        if fields == "*":
            args += ["FIELDS", "*"]
        else:
            names = [fields] if isinstance(fields, str) else list(fields)
            if not names or builtins.any(not n.strip() for n in names):
                raise ValueError("collect fields must be '*' or a non-empty list of names")
            names = [_ensure_at_prefix(n) for n in names]
            args += ["FIELDS", str(len(names)), *names]
        if distinct:
            args += ["DISTINCT"]
        if sort_by is not None:
            sort_fields = [sort_by] if isinstance(sort_by, SortDirection) else sort_by
            sort_args: list[str] = []
            for f in sort_fields:
                sort_args += [_ensure_at_prefix(f.field), f.DIRSTRING or ""]
            if not sort_args:
                raise ValueError("collect sort_by must contain at least one field")
            args += ["SORTBY", str(len(sort_args)), *sort_args]
        if limit is not None:
            offset, n = limit
            args += ["LIMIT", str(offset), str(n)]
        super().__init__(*args)
