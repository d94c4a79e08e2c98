"""Building the queries every listing shares: filters with bound values, ORDER BY from --sort, LIMIT,
and the look-up that refuses with a message saying what to do when the record is not there.

Only fixed SQL fragments written in the code reach these builders; every value a user gives is bound
(`:name` placeholders), and sort fields are checked against the listing's known columns.
"""

from __future__ import annotations

from cs.core.errors import CSError
from cs.core.i18n import _


def order_by(sort: str, allowed, expressions: dict | None = None) -> str:
    """An ORDER BY clause from '-field' / 'field' (comma separated), checked against known columns.

    `expressions` maps a field to the SQL that orders it (e.g. priority by severity, not spelling).
    """
    parts = []
    for item in sort.split(","):
        item = item.strip()
        descending = item.startswith("-")
        field = item.lstrip("-+")
        if field not in allowed:
            raise CSError(_("cannot sort by '{field}'; use one of: {fields} (prefix - for descending)")
                          .format(field=field, fields=", ".join(sorted(allowed))))
        parts.append(f"{(expressions or {}).get(field, field)} {'DESC' if descending else 'ASC'}")
    return ", ".join(parts)


def in_clause(column: str, values: list | None) -> tuple[str, list]:
    """` AND column IN (?, …)` with its values for positional SQL; nothing for None (no filter), a clause that
    matches no row for an empty list."""
    if values is None:
        return "", []
    if not values:
        return " AND 0", []
    return f" AND {column} IN ({', '.join('?' * len(values))})", list(values)


class Filters:
    """The WHERE clauses of a listing, added filter by filter, with the values bound to them by name."""

    def __init__(self, **params):
        self.clauses: list[str] = []
        self.params: dict = dict(params)

    def add(self, clause: str, **values) -> None:
        self.clauses.append(clause)
        self.params.update(values)

    def add_in(self, column: str, name: str, values) -> None:
        """`column IN (:name0, :name1, …)` with one bound value each."""
        keys = {f"{name}{i}": value for i, value in enumerate(values)}
        self.add(f"{column} IN (" + ", ".join(f":{key}" for key in keys) + ")", **keys)

    def where(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def listing(select: str, filters: Filters, sort: str, allowed, expressions: dict | None = None,
            limit=None) -> tuple[str, dict]:
    """The SQL and bound values of a listing: SELECT … WHERE … ORDER BY … LIMIT."""
    sql = select + filters.where() + " ORDER BY " + order_by(sort, allowed, expressions)
    params = dict(filters.params)
    if limit:
        sql += " LIMIT :limit"
        params["limit"] = int(limit)
    return sql, params


def insert_sql(table: str, columns, *, named: bool = False) -> str:
    """INSERT INTO table (columns) VALUES (…): `:column` placeholders with named=True, else `?`."""
    marks = [f":{column}" for column in columns] if named else ["?"] * len(columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"


def one_or_refuse(db, sql: str, params, missing: str):
    """The row the query finds, or a refusal with `missing` (which says where to look instead)."""
    row = db.one(sql, params)
    if row is None:
        raise CSError(missing)
    return row
