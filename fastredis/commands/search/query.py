"""``Query``: FT.SEARCH's query string and options, built by chained calls
(``Query("hello").paging(0, 5).sort_by("price")``), and its filters
(``NumericFilter``, ``GeoFilter``) — redis-py's classes, same arguments, same words."""

from __future__ import annotations

from typing import Any

from .dialect import DEFAULT_DIALECT

__all__ = ["Filter", "GeoFilter", "NumericFilter", "Query", "SortbyField"]


class Query:
    """A search: the query string and its options; every setter returns the query."""

    def __init__(self, query_string: str) -> None:
        self._query_string: str = query_string
        self._offset: int = 0
        self._num: int = 10
        self._no_content: bool = False
        self._no_stopwords: bool = False
        self._fields: list[str] | None = None
        self._verbatim: bool = False
        self._with_payloads: bool = False
        self._with_scores: bool = False
        self._scorer: str | None = None
        self._filters: list[Filter] = []
        self._ids: tuple[str, ...] | None = None
        self._slop: int = -1
        self._timeout: float | None = None
        self._in_order: bool = False
        self._sortby: SortbyField | None = None
        self._return_fields: list[Any] = []
        self._return_fields_decode_as: dict[str, str | None] = {}
        self._summarize_fields: list[Any] = []
        self._highlight_fields: list[Any] = []
        self._language: str | None = None
        self._expander: str | None = None
        self._dialect: int = DEFAULT_DIALECT

    def query_string(self) -> str:
        """The query string alone."""
        return self._query_string

    def limit_ids(self, *ids: str) -> Query:
        """Only these document ids (``INKEYS``)."""
        self._ids = ids
        return self

    def return_fields(self, *fields: str) -> Query:
        """Return only these fields (``RETURN``)."""
        for field in fields:
            self.return_field(field)
        return self

    def return_field(self, field: str, as_field: str | None = None,
                     decode_field: bool | None = True, encoding: str | None = "utf8") -> Query:
        """Return ``field`` (as ``as_field``), decoded with ``encoding``, or kept as the
        raw bytes with ``decode_field=False`` (a vector, for instance)."""
        self._return_fields.append(field)
        # the server answers an aliased field under its alias
        self._return_fields_decode_as[field if as_field is None else as_field] = (
            encoding if decode_field else None)
        if as_field is not None:
            self._return_fields += ("AS", as_field)
        return self

    @staticmethod
    def _mk_field_list(fields: list[str] | str | None) -> list[str]:
        if not fields:
            return []
        return [fields] if isinstance(fields, str) else list(fields)

    def summarize(self, fields: list[str] | None = None, context_len: int | None = None,
                  num_frags: int | None = None, sep: str | None = None) -> Query:
        """Return only the fragments of the fields around the matches (``SUMMARIZE``)."""
        args: list[Any] = ["SUMMARIZE"]
        names = self._mk_field_list(fields)
        if names:
            args += ["FIELDS", str(len(names)), *names]
        if context_len is not None:
            args += ["LEN", str(context_len)]
        if num_frags is not None:
            args += ["FRAGS", str(num_frags)]
        if sep is not None:
            args += ["SEPARATOR", sep]
        self._summarize_fields = args
        return self

    def highlight(self, fields: list[str] | None = None, tags: list[str] | None = None) -> Query:
        """Surround the matched terms with ``tags`` (``HIGHLIGHT``)."""
        args: list[Any] = ["HIGHLIGHT"]
        names = self._mk_field_list(fields)
        if names:
            args += ["FIELDS", str(len(names)), *names]
        if tags:
            args += ["TAGS", *tags]
        self._highlight_fields = args
        return self

    def language(self, language: str) -> Query:
        """The language the query is analysed in (``LANGUAGE``)."""
        self._language = language
        return self

    def slop(self, slop: int) -> Query:
        """At most ``slop`` unmatched terms between the phrase's terms (``SLOP``)."""
        self._slop = slop
        return self

    def timeout(self, timeout: float) -> Query:
        """The server-side timeout of this query, in milliseconds (``TIMEOUT``)."""
        self._timeout = timeout
        return self

    def in_order(self) -> Query:
        """The terms must appear in the query's order (``INORDER``)."""
        self._in_order = True
        return self

    def scorer(self, scorer: str) -> Query:
        """The scoring function (``SCORER``: ``BM25STD``, ``TFIDF`` ...)."""
        self._scorer = scorer
        return self

    def get_args(self) -> list[Any]:
        """The arguments of FT.SEARCH after the index name."""
        args: list[Any] = [self._query_string]
        args += self._get_args_tags()
        args += self._summarize_fields + self._highlight_fields
        args += ["LIMIT", self._offset, self._num]
        return args

    def _get_args_tags(self) -> list[Any]:
        args: list[Any] = []
        if self._no_content:
            args.append("NOCONTENT")
        if self._fields:
            args += ["INFIELDS", len(self._fields), *self._fields]
        if self._verbatim:
            args.append("VERBATIM")
        if self._no_stopwords:
            args.append("NOSTOPWORDS")
        for flt in self._filters:
            if not hasattr(flt, "args"):
                raise AttributeError("Did not receive a Filter object.")
            args += flt.args
        if self._with_payloads:
            args.append("WITHPAYLOADS")
        if self._scorer:
            args += ["SCORER", self._scorer]
        if self._with_scores:
            args.append("WITHSCORES")
        if self._ids:
            args += ["INKEYS", len(self._ids), *self._ids]
        if self._slop >= 0:
            args += ["SLOP", self._slop]
        if self._timeout is not None:
            args += ["TIMEOUT", self._timeout]
        if self._in_order:
            args.append("INORDER")
        if self._return_fields:
            args += ["RETURN", len(self._return_fields), *self._return_fields]
        if self._sortby:
            if not hasattr(self._sortby, "args"):
                raise AttributeError("Did not receive a SortByField.")
            args += ["SORTBY", *self._sortby.args]
        if self._language:
            args += ["LANGUAGE", self._language]
        if self._expander:
            args += ["EXPANDER", self._expander]
        if self._dialect:
            args += ["DIALECT", self._dialect]
        return args

    def paging(self, offset: int, num: int) -> Query:
        """Results ``offset`` to ``offset + num`` (``LIMIT``; 0, 10 by default)."""
        self._offset = offset
        self._num = num
        return self

    def verbatim(self) -> Query:
        """No query expansion nor stemming (``VERBATIM``)."""
        self._verbatim = True
        return self

    def no_content(self) -> Query:
        """Only the ids, not the documents (``NOCONTENT``)."""
        self._no_content = True
        return self

    def no_stopwords(self) -> Query:
        """Do not filter stopwords out of the query (``NOSTOPWORDS``)."""
        self._no_stopwords = True
        return self

    def with_payloads(self) -> Query:
        """Return the documents' payloads (``WITHPAYLOADS``)."""
        self._with_payloads = True
        return self

    def with_scores(self) -> Query:
        """Return the documents' scores (``WITHSCORES``)."""
        self._with_scores = True
        return self

    def limit_fields(self, *fields: str) -> Query:
        """Search these TEXT fields only (``INFIELDS``)."""
        self._fields = list(fields)
        return self

    def add_filter(self, flt: Filter) -> Query:
        """A :class:`NumericFilter` or :class:`GeoFilter`."""
        self._filters.append(flt)
        return self

    def sort_by(self, field: str, asc: bool = True) -> Query:
        """Sort by ``field`` (``SORTBY field ASC|DESC``)."""
        self._sortby = SortbyField(field, asc)
        return self

    def expander(self, expander: str) -> Query:
        """The query expander (``EXPANDER``)."""
        self._expander = expander
        return self

    def dialect(self, dialect: int) -> Query:
        """The query dialect (``DIALECT``; 2 by default)."""
        self._dialect = dialect
        return self


class Filter:
    """A filter word, its field and its arguments."""

    def __init__(self, keyword: str, field: str, *args: Any) -> None:
        self.args: list[Any] = [keyword, field, *args]


class NumericFilter(Filter):
    """``FILTER field min max``; exclusive bounds are written ``(min``."""

    INF = "+inf"
    NEG_INF = "-inf"

    def __init__(self, field: str, minval: int | float | str, maxval: int | float | str,
                 minExclusive: bool = False, maxExclusive: bool = False) -> None:  # noqa: N803
        Filter.__init__(self, "FILTER", field,
                        minval if not minExclusive else f"({minval}",
                        maxval if not maxExclusive else f"({maxval}")


class GeoFilter(Filter):
    """``GEOFILTER field lon lat radius unit``."""

    METERS = "m"
    KILOMETERS = "km"
    FEET = "ft"
    MILES = "mi"

    def __init__(self, field: str, lon: float, lat: float, radius: float,
                 unit: str = KILOMETERS) -> None:
        Filter.__init__(self, "GEOFILTER", field, lon, lat, radius, unit)


class SortbyField:
    """``SORTBY``'s field and direction."""

    def __init__(self, field: str, asc: bool = True) -> None:
        self.args: list[Any] = [field, "ASC" if asc else "DESC"]
