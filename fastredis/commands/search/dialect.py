"""The query dialect sent with every search and aggregation unless the request sets one."""

#: DIALECT 2 (redis-py's default): vector queries and ``$param`` substitution need it
DEFAULT_DIALECT = 2
