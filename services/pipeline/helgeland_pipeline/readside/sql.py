"""Row writes for projections with statements compiled once and reused.

`table.insert().values(**row)` and `update(...).values(**row)` build a new statement for every
event, and SQLAlchemy spends most of a projection's time generating its cache key. Here the
statement depends only on the table and the column names, so it is built once; the values go
as parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, update


def insert_row(conn: Connection, table: Table, **values: Any) -> None:
    """Insert one row (the plain INSERT is compiled once per table and column set)."""
    conn.execute(table.insert(), values)


_PENDING = "helgeland_pending_inserts"


def insert_later(conn: Connection, table: Table, **values: Any) -> None:
    """Queue a row that nothing in the same page reads back; `flush_inserts` writes every
    queued row of a table with one executemany (the runner calls it before the page commits)."""
    pending: dict[Table, list[dict[str, Any]]] = conn.info.setdefault(_PENDING, {})
    pending.setdefault(table, []).append(values)


def flush_inserts(conn: Connection) -> None:
    """Write the queued rows, table by table in the order they were first queued."""
    pending: dict[Table, list[dict[str, Any]]] = conn.info.pop(_PENDING, {})
    for table, rows in pending.items():
        conn.execute(table.insert(), rows)


def drop_pending(conn: Connection) -> None:
    """Forget queued rows (the page was rolled back)."""
    conn.info.pop(_PENDING, None)


def update_where(conn: Connection, table: Table, key: str, key_value: Any, **values: Any) -> None:
    """`UPDATE table SET values WHERE key = key_value`, with a statement built once per shape."""
    statement = _update_statement(table, key, tuple(values))
    params = {f"set_{name}": value for name, value in values.items()}
    params["where_key"] = key_value
    conn.execute(statement, params)


@cache
def _update_statement(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    return (
        update(table)
        .where(table.c[key] == bindparam("where_key", type_=table.c[key].type))
        .values({name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns})
    )
