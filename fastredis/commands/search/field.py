"""The schema fields of FT.CREATE / FT.ALTER (redis-py's classes and arguments):
``TextField``, ``NumericField``, ``TagField``, ``GeoField``, ``GeoShapeField``,
``VectorField``. ``redis_args()`` gives the words the field adds to the schema."""

from __future__ import annotations

from typing import Any

from ...exceptions import DataError

__all__ = ["Field", "GeoField", "GeoShapeField", "NumericField", "TagField", "TextField",
           "VectorField"]


class Field:
    """A schema field: ``name``, its type words (``args``) and the common options."""

    NUMERIC = "NUMERIC"
    TEXT = "TEXT"
    WEIGHT = "WEIGHT"
    GEO = "GEO"
    TAG = "TAG"
    VECTOR = "VECTOR"
    SORTABLE = "SORTABLE"
    NOINDEX = "NOINDEX"
    AS = "AS"
    GEOSHAPE = "GEOSHAPE"
    INDEX_MISSING = "INDEXMISSING"
    INDEX_EMPTY = "INDEXEMPTY"

    def __init__(
        self,
        name: str,
        args: list[Any] | None = None,
        sortable: bool = False,
        no_index: bool = False,
        index_missing: bool = False,
        index_empty: bool = False,
        as_name: str | None = None,
    ) -> None:
        if no_index and not sortable:
            raise ValueError("Non-Sortable non-Indexable fields are ignored")
        self.name = name
        self.args: list[Any] = [] if args is None else args
        self.args_suffix: list[Any] = []
        self.as_name = as_name
        if no_index:
            self.args_suffix.append(Field.NOINDEX)
        if index_missing:
            self.args_suffix.append(Field.INDEX_MISSING)
        if index_empty:
            self.args_suffix.append(Field.INDEX_EMPTY)
        if sortable:
            self.args_suffix.append(Field.SORTABLE)

    def append_arg(self, value: Any) -> None:
        self.args.append(value)

    def redis_args(self) -> list[Any]:
        args: list[Any] = [self.name]
        if self.as_name:
            args += [self.AS, self.as_name]
        return args + self.args + self.args_suffix


class TextField(Field):
    """A full-text field (``TEXT WEIGHT w``), optionally ``NOSTEM``, ``PHONETIC`` (one of
    ``dm:en``, ``dm:fr``, ``dm:pt``, ``dm:es``; others are ignored, as in redis-py) and
    ``WITHSUFFIXTRIE``."""

    NOSTEM = "NOSTEM"
    PHONETIC = "PHONETIC"

    def __init__(self, name: str, weight: float = 1.0, no_stem: bool = False,
                 phonetic_matcher: str | None = None, withsuffixtrie: bool = False,
                 **kwargs: Any) -> None:
        Field.__init__(self, name, args=[Field.TEXT, Field.WEIGHT, weight], **kwargs)
        if no_stem:
            self.append_arg(self.NOSTEM)
        if phonetic_matcher in ("dm:en", "dm:fr", "dm:pt", "dm:es"):
            self.append_arg(self.PHONETIC)
            self.append_arg(phonetic_matcher)
        if withsuffixtrie:
            self.append_arg("WITHSUFFIXTRIE")


class NumericField(Field):
    """A numeric field (range queries, ``SORTBY``)."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        Field.__init__(self, name, args=[Field.NUMERIC], **kwargs)


class GeoShapeField(Field):
    """A geometry field (``GEOSHAPE``, ``SPHERICAL`` or ``FLAT``)."""

    SPHERICAL = "SPHERICAL"
    FLAT = "FLAT"

    def __init__(self, name: str, coord_system: str | None = None, **kwargs: Any) -> None:
        args: list[Any] = [Field.GEOSHAPE]
        if coord_system:
            args.append(coord_system)
        Field.__init__(self, name, args=args, **kwargs)


class GeoField(Field):
    """A longitude,latitude field (``GEO``)."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        Field.__init__(self, name, args=[Field.GEO], **kwargs)


class TagField(Field):
    """A tag field: exact-match values split on ``separator``."""

    SEPARATOR = "SEPARATOR"
    CASESENSITIVE = "CASESENSITIVE"

    def __init__(self, name: str, separator: str = ",", case_sensitive: bool = False,
                 withsuffixtrie: bool = False, **kwargs: Any) -> None:
        args: list[Any] = [Field.TAG, self.SEPARATOR, separator]
        if case_sensitive:
            args.append(self.CASESENSITIVE)
        if withsuffixtrie:
            args.append("WITHSUFFIXTRIE")
        Field.__init__(self, name, args=args, **kwargs)


class VectorField(Field):
    """A vector field for KNN and range queries: ``algorithm`` ``FLAT``, ``HNSW`` or
    ``SVS-VAMANA``, ``attributes`` such as ``{"TYPE": "FLOAT32", "DIM": 4,
    "DISTANCE_METRIC": "COSINE"}``. It cannot be sortable nor ``no_index``."""

    def __init__(self, name: str, algorithm: str, attributes: dict[str, Any],
                 **kwargs: Any) -> None:
        if kwargs.get("sortable", False) or kwargs.get("no_index", False):
            raise DataError("Cannot set 'sortable' or 'no_index' in Vector fields.")
        if algorithm.upper() not in ("FLAT", "HNSW", "SVS-VAMANA"):
            raise DataError("Realtime vector indexing supporting 3 Indexing Methods:"
                            "'FLAT', 'HNSW', and 'SVS-VAMANA'.")
        attr_li: list[Any] = []
        for key, value in attributes.items():
            attr_li.extend([key, value])
        Field.__init__(self, name, args=[Field.VECTOR, algorithm, len(attr_li), *attr_li],
                       **kwargs)
