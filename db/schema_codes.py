"""A code the program knows but the database's CHECK list does not: one clear line, not a traceback.

That happens when a code was added to console.vocabulary without the migration
``python -m db.migration_gen --write`` generates, or when a hall runs a program
whose migrations lag its vocabulary.  The insert that meets it raises
``EnvironmentFailure('db.code_not_in_schema')`` (exit 3: the installation, not the
user's input, is at fault), naming the column and the code.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from console.errors import EnvironmentFailure

_CHECK_FAILED = re.compile(r"CHECK constraint failed: (\w+) IN \(")


@contextmanager
def known_codes(values: Mapping[str, Any]) -> Iterator[None]:
    """Turn a CHECK failure on a code list over ``values`` (column -> value) into one clear error."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        found = _CHECK_FAILED.search(str(exc))
        if found is None or found.group(1) not in values:
            raise
        column = found.group(1)
        raise EnvironmentFailure("db.code_not_in_schema", column=column, value=str(values[column])) from None
