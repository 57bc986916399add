"""The id of the row an INSERT just made, as an ``int`` the type checker can trust."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.engine import Cursor


def inserted_id(cursor: Cursor) -> int:
    """The rowid of the row the INSERT on ``cursor`` made.

    sqlite3 types ``lastrowid`` as ``int | None`` (None on a cursor that ran
    nothing); after an INSERT it is the new row's id, so None here is a bug
    of the caller, not something a user can cause: it is not dressed as one.
    """
    row_id = cursor.lastrowid
    if row_id is None:
        raise RuntimeError("inserted_id() on a cursor that ran no INSERT")
    return row_id
