"""Many rows in one statement on PostgreSQL: COPY, and JSON parameters the server reads as rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy.exc import DBAPIError

from ledger import chain

_JSON_ROWS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def as_json_rows(rows: Sequence[Any]) -> str:
    """Many values as one PostgreSQL parameter: JSON, which the server reads in C. (psycopg writes a
    Python list as an array parameter item by item in Python, the most costly step of a large batch.)"""
    return _JSON_ROWS.encode(rows)


def as_array(values: Iterable[int | str | date]) -> str:
    """Many values (integers, strings or dates) as one PostgreSQL array parameter, written as the
    array's text (``{1,"a b"}``) for the query to ``CAST``: the server reads it in C, far faster than
    the same values as JSON rows (2,000 rows of 12 fields: 8–10 ms a statement with
    ``json_to_recordset``, under 1 ms as arrays), and psycopg would adapt a Python list item by item.
    Strings are quoted, so any text is kept."""
    return "{" + ",".join([_array_item(value) for value in values]) + "}"


def _array_item(value: int | str | date) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if type(value) is int or isinstance(value, date):
        return str(value)  # a date as ISO 8601
    raise TypeError(f"an array parameter of a {type(value).__name__} is not written here")


def copy_rows(connection: Any, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` into ``table`` with PostgreSQL's COPY, in the caller's transaction.

    Row and statement triggers fire as for an INSERT; an error is raised as SQLAlchemy raises
    it for a statement, so callers handle both paths alike.
    """
    columns = [c for c in table.c if c.name in rows[0] or c.key in rows[0]]
    names = ", ".join(f'"{c.name}"' for c in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"
    keys = [c.key if c.key in rows[0] else c.name for c in columns]
    json_columns = {i for i, c in enumerate(columns) if c.type.__class__.__name__ == "JSON"}
    cursor = connection.connection.cursor()
    try:
        with _as_sqlalchemy_raises(statement, None), cursor.copy(statement) as copy:
            for row in rows:
                values = [row[k] for k in keys]
                for i in json_columns:
                    values[i] = chain.canonical_json(values[i])
                copy.write_row(values)
    finally:
        cursor.close()


def copy_text(rows: Iterable[Sequence[Any]]) -> bytes:
    """``rows`` in COPY's text format, as ``copy_rows`` would send them, for ``copy_written``: rows made
    in one process and sent by another. Values are None, booleans, integers, dates or strings (JSON
    already written as text)."""
    lines = ["\t".join([copy_field(value) for value in row]) for row in rows]
    return "".join(line + "\n" for line in lines).encode()


def copy_field(value: Any) -> str:
    """One value as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, int | date):
        return str(value)  # a date as ISO 8601
    raise TypeError(f"COPY text of a {type(value).__name__} is not written here")


def copy_written(connection: Any, table: Any, columns: Sequence[str], text: bytes) -> None:
    """Write rows already in COPY's text format (``copy_text``) into ``columns`` of ``table``, in the
    caller's transaction, as ``copy_rows`` does."""
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"
    cursor = connection.connection.cursor()
    try:
        with _as_sqlalchemy_raises(statement, None), cursor.copy(statement) as copy:
            copy.write(text)
    finally:
        cursor.close()


def driver_row(connection: Any, sql: str, params: Sequence[Any]) -> Any:
    """The one row of ``sql`` (psycopg's ``%s`` placeholders), run by the driver itself in the
    caller's transaction; an error is raised as SQLAlchemy raises it, so callers handle it alike."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        with _as_sqlalchemy_raises(sql, params):
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        cursor.close()


@contextmanager
def _as_sqlalchemy_raises(statement: str, params: Any) -> Iterator[None]:
    """A driver's error, raised as SQLAlchemy raises it for a statement (``DBAPIError`` and its kinds)."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, params, exc, psycopg.Error) from None
