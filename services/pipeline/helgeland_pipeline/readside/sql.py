"""Row writes for projections with statements compiled once and reused.

`table.insert().values(**row)` and `update(...).values(**row)` build a new statement for every
event, and SQLAlchemy spends most of a projection's time generating its cache key. Here the
statement depends only on the table and the column names, so it is built once; the values go
as parameters.
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    event,
    update,
)
from sqlalchemy.sql.util import find_tables

_QUEUED = "helgeland_queued_writes"
_FLUSHING = "helgeland_flushing_writes"
_TABLES = "helgeland_queued_tables"


class DeferredWriteFailed(Exception):
    """A queued row write failed when it was written (the event that queued it is not known)."""


def insert_row(conn: Connection, table: Table, **values: Any) -> None:
    """Insert one row: queued, and written before the next statement of any kind on this
    connection (a read sees it), together with the queued rows of the same shape before it."""
    write_later(conn, _insert_statement(table), values)


def write_later(conn: Connection, statement: Insert | Update, params: dict[str, Any]) -> None:
    """Queue a write; consecutive writes of one statement and shape go as one executemany.

    Order is kept: the queue is written, in order, before any other statement that may read or
    write its tables runs on the connection (`_write_queued_first`), and at the end of the page
    (`flush_writes`)."""
    queue: list[tuple[Insert | Update, tuple[str, ...], list[dict[str, Any]]]]
    queue = conn.info.setdefault(_QUEUED, [])
    shape = tuple(params)
    if queue and queue[-1][0] is statement and queue[-1][1] == shape:
        queue[-1][2].append(params)
    else:
        queue.append((statement, shape, [params]))
        conn.info.setdefault(_TABLES, set()).add(statement.table.name)  # type: ignore[union-attr]


def flush_writes(conn: Connection) -> None:
    """Write the queued statements in order (`DeferredWriteFailed` if one fails): straight to
    the driver with statements compiled once, in one pipeline on PostgreSQL (no round trip
    per statement)."""
    queue = conn.info.pop(_QUEUED, None)
    conn.info.pop(_TABLES, None)
    if not queue:
        return
    conn.info[_FLUSHING] = True
    try:
        driver = conn.connection.driver_connection
        pipeline = getattr(driver, "pipeline", None)
        with pipeline() if pipeline is not None else contextlib.nullcontext():
            cursor = driver.cursor()  # type: ignore[union-attr]
            for statement, shape, rows in queue:
                compiled = _compiled(conn.dialect, statement, shape)
                if compiled is None:  # defaults or other machinery: let SQLAlchemy do it
                    conn.execute(statement, rows if len(rows) > 1 else rows[0])
                elif len(rows) == 1:
                    cursor.execute(compiled.sql, compiled.parameters(rows[0]))
                else:
                    cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
    except Exception as error:
        raise DeferredWriteFailed(str(error).splitlines()[0] if str(error) else "") from error
    finally:
        conn.info.pop(_FLUSHING, None)


@event.listens_for(Engine, "before_execute")
def _write_queued_first(conn: Connection, statement: Any, *_: Any) -> None:
    if not conn.info.get(_QUEUED) or conn.info.get(_FLUSHING):
        return
    if isinstance(statement, Select):  # a read of other tables need not wait for the queue
        queued = conn.info.get(_TABLES, set())
        reads = _tables_read(statement)
        if "*" not in reads and not queued & reads:
            return
    flush_writes(conn)


_READS: weakref.WeakKeyDictionary[Select[Any], frozenset[str]] = weakref.WeakKeyDictionary()


def _tables_read(statement: Select[Any]) -> frozenset[str]:
    """Every table a query reads, subqueries included (worked out once per query object)."""
    found = _READS.get(statement)
    if found is None:
        tables = find_tables(statement, include_aliases=True, include_joins=True)
        names = {t.name for t in tables if isinstance(t, Table)}
        # A table under an alias or a join is found as itself; no table found: "*", all.
        found = frozenset(names) if names else frozenset({"*"})
        _READS[statement] = found
    return found


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: dict[str, Any]  # name -> the type's bind conversion

    def parameters(self, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        bound = {
            n: (self.processors[n](row[n]) if n in self.processors else row[n]) for n in self.names
        }
        return tuple(bound[n] for n in self.names) if self.positional else bound


_COMPILED: dict[tuple[str, int, tuple[str, ...]], _Compiled | None] = {}


def _compiled(dialect: Dialect, statement: Insert | Update, shape: tuple[str, ...]) -> Any:
    key = (dialect.name, id(statement), shape)
    if key not in _COMPILED:
        keys = list(shape) if isinstance(statement, Insert) else None
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        usable = set(names) <= set(shape) and not compiled.prefetch and not compiled.postfetch
        processors = dict(compiled._bind_processors)
        found = _Compiled(compiled.string, names, compiled.positional, processors)
        _COMPILED[key] = found if usable else None
    return _COMPILED[key]


@cache
def _insert_statement(table: Table) -> Insert:
    return table.insert()


_PENDING = "helgeland_pending_inserts"


def insert_later(conn: Connection, table: Table, **values: Any) -> None:
    """Queue a row that nothing in the same page reads back; `flush_inserts` writes every
    queued row of a table with one executemany (the runner calls it before the page commits)."""
    pending: dict[Table, list[dict[str, Any]]] = conn.info.setdefault(_PENDING, {})
    pending.setdefault(table, []).append(values)


def flush_inserts(conn: Connection) -> None:
    """Write the queued rows, table by table in the order they were first queued (after the
    queued writes)."""
    flush_writes(conn)
    pending: dict[Table, list[dict[str, Any]]] = conn.info.pop(_PENDING, {})
    for table, rows in pending.items():
        conn.execute(table.insert(), rows)


def drop_pending(conn: Connection) -> None:
    """Forget queued rows and writes (the page was rolled back)."""
    conn.info.pop(_PENDING, None)
    conn.info.pop(_QUEUED, None)
    conn.info.pop(_TABLES, None)


def update_where(conn: Connection, table: Table, key: str, key_value: Any, **values: Any) -> None:
    """`UPDATE table SET values WHERE key = key_value`, with a statement built once per shape."""
    statement = _update_statement(table, key, tuple(values))
    params = {f"set_{name}": value for name, value in values.items()}
    params["where_key"] = key_value
    write_later(conn, statement, params)


@cache
def _update_statement(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    return (
        update(table)
        .where(table.c[key] == bindparam("where_key", type_=table.c[key].type))
        .values({name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns})
    )
