"""The audit log: append-only, chained with a key that is not in the database.

Triggers refuse UPDATE and DELETE, which stops mistakes and casual edits.
The chain catches the rest: each row's value covers the previous row's value
and its own fields, and since the keyed scheme the value is an HMAC whose key
lives outside the database (``db.audit_key``).  Whoever can write the file
but cannot read the key can drop the triggers and edit, delete or insert
rows, but cannot recompute the values: verification names the first row
that does not hold.  Ids are contiguous from 1 (each writer takes MAX(id)+1
inside its BEGIN IMMEDIATE transaction), so a deleted row is a gap; a cut
tail shows in ``sqlite_sequence`` and against the anchors (the head written
to a log outside the database by ``retire audit anchor``).

``append`` must run inside the caller's transaction (``db.connection.
transaction``): the change and its audit row commit together or not at all,
and BEGIN IMMEDIATE makes "read the last value, write the next row" atomic
across processes.

Canonical form (what a PostgreSQL implementation must reproduce)
-----------------------------------------------------------------

Scheme ``hmac-sha256/1`` (every row from ``audit_keyed_from`` on)::

    value(row) = lower-case hex of HMAC-SHA256(key, UTF-8(prev + C(row)))

- ``prev`` is the value of row ``id - 1``; for the first keyed row it is the
  legacy head's value (``audit_legacy_head_hash``; ``GENESIS``, 64 zeros,
  when the table had no rows).  It is also stored in the row (``prev_hash``).
- ``C(row)`` is a JSON object with exactly these keys in this (sorted)
  order: ``action, actor, at, case_id, detail, entity, entity_id, id,
  task_id``; no whitespace; integers (``case_id``, ``id``, ``task_id``) in
  decimal; SQL NULL as ``null``; every other value a JSON string in which
  only ``"`` ``\\`` and U+0000..U+001F are escaped (``\\" \\\\ \\b \\f \\n \\r
  \\t``, the rest as ``\\u00xx`` with lower-case hex) and every other
  character is itself, in UTF-8 (Python's ``json.dumps(..., ensure_ascii=
  False)``; PostgreSQL's ``to_json(text)``).  ``detail`` enters as its
  stored JSON text (a string), never re-parsed, so every stored byte counts.

Legacy scheme ``sha256/0`` (rows written before the key, ids below
``audit_keyed_from``): ``value = hex SHA-256(UTF-8(prev + C0(row)))``, C0
being C without ``id``, the first ``prev`` being ``GENESIS``.  The legacy
chain is verified once when it is continued under the key; its head (id and
value) is recorded then.

The chain's record in ``hall_meta`` (``audit_scheme``, ``audit_keyed_from``,
``audit_legacy_head_id``, ``audit_legacy_head_hash``, ``audit_db_id``) is
itself sealed: ``audit_seal = hex HMAC-SHA256(key, UTF-8("retire-audit-seal/1\\n"
+ JSON of those five values as stored text, keys sorted, compact))``, so it
cannot be moved (e.g. to pass keyed rows off as legacy ones) without the key.
Removing the record altogether (and recomputing every value with SHA-256)
leaves a chain that claims never to have been keyed: the doctor reports it
as unprotected, and on a hall, whose key is made by the same ``retire init``
that keys the chain, a writer refuses to key it again (that would launder
the rewrite); the anchors, which name the database's ``audit_db_id``, fail.

What the chain cannot prove: whoever can read the key (root, the hall's
service account, a personal database's owner) can rewrite rows written
since the last anchor and recompute their values; anchors written where they
cannot write (root's nightly job) bound that to the rows after the last one.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from console.errors import EnvironmentFailure, Refused
from db import audit_key
from db.audit_key import AuditKey
from db.clock import wall_now_iso

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

GENESIS = "0" * 64
SCHEME = "hmac-sha256/1"
LEGACY_SCHEME = "sha256/0"
HASHED_FIELDS = ("at", "actor", "action", "case_id", "task_id", "entity", "entity_id", "detail")
KEYED_FIELDS = HASHED_FIELDS + ("id",)
SEAL_PREFIX = "retire-audit-seal/1\n"
ANCHOR_PREFIX = "retire-audit-anchor/1\n"

META_SCHEME = "audit_scheme"
META_KEYED_FROM = "audit_keyed_from"
META_LEGACY_ID = "audit_legacy_head_id"
META_LEGACY_HASH = "audit_legacy_head_hash"
META_DB_ID = "audit_db_id"
META_SEAL = "audit_seal"
_META = (META_SCHEME, META_KEYED_FROM, META_LEGACY_ID, META_LEGACY_HASH, META_DB_ID, META_SEAL)
_SEALED = {"scheme": META_SCHEME, "keyed_from": META_KEYED_FROM, "legacy_head_id": META_LEGACY_ID,
           "legacy_head_hash": META_LEGACY_HASH, "db_id": META_DB_ID}
_KEY_CACHE = "_retire_audit_key_cache"
_WRITER_CACHE = "_retire_audit_writer_cache"


# -- the pure part: canonical text and values ---------------------------------

_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _detail_text(detail: Any) -> str | None:
    """Canonical JSON of the detail, as stored (sorted keys, no spaces, UTF-8).

    One encoder built once: a bulk load links ~15 rows a case through here.
    """
    if detail is None:
        return None
    return _DETAIL_JSON.encode(detail)


def _s(value: Any) -> str:
    return "null" if value is None else encode_basestring(str(value))


def _i(value: Any) -> str:
    return "null" if value is None else str(int(value))


def canonical_text(at: Any, actor: Any, action: Any, case_id: Any, task_id: Any, entity: Any, entity_id: Any,
                   detail: Any, row_id: int | None = None) -> str:
    """``C(row)`` (with ``row_id``) or the legacy ``C0(row)`` (without): see the module docstring."""
    head = (f'{{"action":{_s(action)},"actor":{_s(actor)},"at":{_s(at)},"case_id":{_i(case_id)},'
            f'"detail":{_s(detail)},"entity":{_s(entity)},"entity_id":{_s(entity_id)},')
    if row_id is None:
        return f'{head}"task_id":{_i(task_id)}}}'
    return f'{head}"id":{int(row_id)},"task_id":{_i(task_id)}}}'


def _fields_text(fields: dict[str, Any], keyed: bool) -> str:
    return canonical_text(fields.get("at"), fields.get("actor"), fields.get("action"), fields.get("case_id"),
                          fields.get("task_id"), fields.get("entity"), fields.get("entity_id"), fields.get("detail"),
                          fields["id"] if keyed else None)


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Legacy value: sha256(prev + C0(fields)), hex (rows written before the key)."""
    return hashlib.sha256((prev_hash + _fields_text(fields, False)).encode("utf-8")).hexdigest()


def row_mac(key: bytes, prev: str, fields: dict[str, Any]) -> str:
    """Keyed value: HMAC-SHA256(key, prev + C(fields)), hex; ``fields`` include ``id``."""
    return hmac.new(key, (prev + _fields_text(fields, True)).encode("utf-8"), hashlib.sha256).hexdigest()


def mac_function(key: bytes) -> Callable[[str], str]:
    """``text -> hex HMAC-SHA256(key, text)``, with the key schedule done once (bulk writers, verify)."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def mac(text: str) -> str:
        h = base.copy()
        h.update(text.encode("utf-8"))
        return h.hexdigest()

    return mac


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def seal_mac(key: bytes, record: Mapping[str, str | None]) -> str:
    """The seal over the chain's record in hall_meta (values as stored text)."""
    return hmac.new(key, (SEAL_PREFIX + _compact(record)).encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_mac(key: bytes, line: dict[str, Any]) -> str:
    """The MAC of one anchor line: HMAC(key, prefix + compact sorted JSON of every field but ``line_mac``).

    The fields include ``prev`` (the previous line's ``line_mac``), so the
    anchors form a keyed chain of their own.
    """
    body = {k: v for k, v in line.items() if k != "line_mac"}
    return hmac.new(key, (ANCHOR_PREFIX + _compact(body)).encode("utf-8"), hashlib.sha256).hexdigest()


# -- the chain's record in hall_meta ------------------------------------------

@dataclass(frozen=True)
class ChainState:
    """The keyed chain's record (all None on a database not keyed yet)."""

    raw: dict[str, str | None] = field(default_factory=dict)

    def _get(self, name: str) -> str | None:
        return self.raw.get(name)

    @property
    def keyed(self) -> bool:
        return self._get(META_SCHEME) is not None

    @property
    def scheme(self) -> str:
        return self._get(META_SCHEME) or LEGACY_SCHEME

    @property
    def db_id(self) -> str | None:
        return self._get(META_DB_ID)

    @property
    def seal(self) -> str | None:
        return self._get(META_SEAL)

    def _int(self, name: str) -> int | None:
        value = self._get(name)
        try:
            return None if value is None else int(value)
        except ValueError:
            return None

    @property
    def keyed_from(self) -> int | None:
        return self._int(META_KEYED_FROM)

    @property
    def legacy_head_id(self) -> int | None:
        return self._int(META_LEGACY_ID)

    @property
    def legacy_head_hash(self) -> str:
        return self._get(META_LEGACY_HASH) or GENESIS

    def record(self) -> dict[str, str | None]:
        return {name: self._get(meta) for name, meta in _SEALED.items()}

    def cache_key(self) -> tuple[tuple[str, str | None], ...]:
        """The whole record: a key found for it holds only while none of it changes."""
        return tuple(sorted(self.raw.items()))

    def sealed_by(self, key: bytes) -> bool:
        if not self.seal:
            return False
        return hmac.compare_digest(self.seal, seal_mac(key, self.record()))

    def consistent(self) -> bool:
        """The record's own arithmetic: the first keyed row follows the legacy head."""
        keyed_from, head = self.keyed_from, self.legacy_head_id
        return (self.scheme == SCHEME and keyed_from is not None and head is not None
                and keyed_from == head + 1 and head >= 0 and bool(self.db_id))


def read_state(db: Database) -> ChainState:
    """The chain's record as stored now (inside the caller's transaction, if any)."""
    marks = ",".join("?" for _ in _META)
    try:
        rows = db.execute(f"SELECT key, value FROM hall_meta WHERE key IN ({marks})", list(_META)).fetchall()
    except Exception:  # a schema older than v7: nothing keyed yet
        rows = []
    return ChainState({str(k): (None if v is None else str(v)) for k, v in rows})


def _put(db: Database, key: str, value: str) -> None:
    from db import hall_meta

    hall_meta.put(db, key, value)


# -- finding the key -----------------------------------------------------------

def key_for(db: Database, state: ChainState) -> AuditKey:
    """The key this keyed chain was sealed with, from a trusted place; exit 3 when there is none.

    Tried: the caller's explicit key, else the hall's key file, else the
    personal key for the chain's ``db_id``.  A key whose seal does not match
    is refused (``audit.key_mismatch``): the record was altered or the key is
    not this database's.
    """
    explicit = audit_key.explicit_key(db)
    if explicit is not None:
        if state.sealed_by(explicit.secret):
            return explicit
        raise EnvironmentFailure("audit.key_mismatch", path=str(explicit.path or "-"))
    cached = getattr(db, _KEY_CACHE, None)
    if cached is not None and cached[0] == state.cache_key() and isinstance(cached[1], AuditKey):
        return cached[1]
    mismatched: list[str] = []
    failure: EnvironmentFailure | None = None
    for path, source in audit_key.candidate_paths(db, state.db_id):
        if not audit_key.key_exists(path):
            continue
        try:
            secret = audit_key.read_key(path)
        except EnvironmentFailure as exc:
            failure = failure or exc
            continue
        if state.sealed_by(secret):
            key = AuditKey(secret, path, source)
            setattr(db, _KEY_CACHE, (state.cache_key(), key))
            return key
        mismatched.append(str(path))
    if failure is not None:
        raise failure
    if mismatched:
        raise EnvironmentFailure("audit.key_mismatch", path=mismatched[0])
    expected, _ = audit_key.default_key_path(db, state.db_id or "?")
    raise EnvironmentFailure("audit.key_missing", path=str(expected))


def find_key(db: Database, state: ChainState) -> tuple[AuditKey | None, str | None]:
    """(key, None), or (None, "mismatch") when keys exist but none matches the seal.

    Missing or unreadable keys raise ``EnvironmentFailure`` (exit 3):
    nothing can be verified without one.
    """
    try:
        return key_for(db, state), None
    except EnvironmentFailure as exc:
        if exc.key == "audit.key_mismatch":
            return None, "mismatch"
        raise


def _mismatched_key(db: Database, state: ChainState) -> AuditKey | None:
    """The key found in the usual place (explicit, hall, personal) even though its seal does not match."""
    explicit = audit_key.explicit_key(db)
    if explicit is not None:
        return explicit
    for path, source in audit_key.candidate_paths(db, state.db_id):
        if audit_key.key_exists(path):
            try:
                return AuditKey(audit_key.read_key(path), path, source)
            except EnvironmentFailure:
                continue
    return None


# -- writing ------------------------------------------------------------------

def _last(db: Database) -> tuple[int, str | None]:
    row = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, None)


def _start_keyed(db: Database, *, create_hall_key: bool) -> tuple[ChainState, AuditKey]:
    """Continue the chain under the key (first keyed write): verify the legacy chain once, record its head.

    Runs in the caller's transaction.  A broken legacy chain is refused:
    continuing it would bless the break.
    """
    broken = check_legacy(db)
    if broken is not None:
        raise Refused("audit.legacy_broken", id=broken.bad_id, reason=broken.problem)
    last_id, last_hash = _last(db)
    db_id = secrets.token_hex(16)
    key = audit_key.explicit_key(db)
    if key is None:
        path, source = audit_key.default_key_path(db, db_id)
        if audit_key.key_exists(path):
            if source == "hall" and last_id:
                # The hall key is made by the very step that keys the chain (retire init), so a key
                # beside an unkeyed chain with rows means the keyed record was removed (every value
                # recomputed with plain SHA-256?): keying it again would launder that.
                raise Refused("audit.key_without_chain", path=str(path), rows=last_id)
            key = AuditKey(audit_key.read_key(path), path, source)
        elif source == "hall" and not create_hall_key:
            raise EnvironmentFailure("audit.key_missing", path=str(path))
        else:
            key = AuditKey(audit_key.create_key(path), path, source)
    record = {"scheme": SCHEME, "keyed_from": str(last_id + 1), "legacy_head_id": str(last_id),
              "legacy_head_hash": last_hash or GENESIS, "db_id": db_id}
    for name, meta in _SEALED.items():
        _put(db, meta, str(record[name]))
    _put(db, META_SEAL, seal_mac(key.secret, record))
    state = read_state(db)
    setattr(db, _KEY_CACHE, (state.cache_key(), key))
    return state, key


_POSITION_SQL = (
    "SELECT (SELECT value FROM hall_meta WHERE key = 'audit_seal'),"
    " (SELECT id FROM audit ORDER BY id DESC LIMIT 1), (SELECT hash FROM audit ORDER BY id DESC LIMIT 1)"
)


def _position(db: Database) -> tuple[ChainState, AuditKey, Callable[[str], str], int, str]:
    """(state, key, mac, id, prev) for the next row, in the caller's transaction.

    One query per row in the common case: the seal, read with the last row,
    says whether the record found before still stands (a rolled-back keying
    leaves no seal, so it is never trusted from memory).
    """
    if not db.in_transaction:
        raise RuntimeError("audit rows must be written inside db.connection.transaction()")
    try:
        seal, last_id, last_hash = db.execute(_POSITION_SQL).fetchone()
    except sqlite3.OperationalError:  # no hall_meta: a schema older than v7
        raise EnvironmentFailure("audit.state_bad") from None
    cached = getattr(db, _WRITER_CACHE, None)
    if seal is not None and cached is not None and cached[0] == seal:
        state, key, mac = cached[1], cached[2], cached[3]
    else:
        state = read_state(db)
        if state.keyed:
            if not state.consistent():
                raise EnvironmentFailure("audit.state_bad")
            key = key_for(db, state)
        else:
            state, key = _start_keyed(db, create_hall_key=False)
        mac = mac_function(key.secret)
        setattr(db, _WRITER_CACHE, (state.seal, state, key, mac))
    last_id = int(last_id or 0)
    return state, key, mac, last_id + 1, str(last_hash) if last_id else state.legacy_head_hash


def forget_keys(db: Database) -> None:
    """Drop the keys this connection remembers (the next write or check looks for the key file again)."""
    for name in (_KEY_CACHE, _WRITER_CACHE):
        if hasattr(db, name):
            delattr(db, name)


def ensure_keyed(db: Database, *, create_hall_key: bool = True) -> tuple[ChainState, AuditKey]:
    """Key the chain now if it is not yet (``retire init``), creating the key if missing; idempotent."""
    from db.connection import transaction

    with transaction(db):
        state = read_state(db)
        if state.keyed:
            return state, key_for(db, state)
        return _start_keyed(db, create_hall_key=create_hall_key)


class Subject(TypedDict, total=False):
    """What an audit row is about, every part optional: the keywords of ``append``,
    ``ChainCursor.link`` and ``db.bulk.AuditWriter.add``, kept once."""

    case_id: int | None
    task_id: int | None
    entity: str | None
    entity_id: str | int | None
    detail: Any


_COLUMNS = "id, at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, hash"
_NAMES = [c.strip() for c in _COLUMNS.split(",")]
INSERT_SQL = f"INSERT INTO audit ({_COLUMNS}) VALUES ({', '.join('?' for _ in _NAMES)})"


def append(db: Database, actor: str, action: str, **subject: Unpack[Subject]) -> int:
    """Write one audit row in the open transaction; returns its id.

    Pass ``case_id`` for every change that belongs to a case, task changes
    included: ``rows_for_case`` finds rows by it.
    """
    if not db.in_transaction:
        raise RuntimeError("audit.append must run inside db.connection.transaction()")
    # the REAL write time, never db.clock.simulated() (demo): keep it so
    row = ChainCursor(db).link(wall_now_iso(), actor, action, **subject)
    db.execute(INSERT_SQL, row)
    return int(row[0])


class ChainCursor:
    """Where the chain stands in the caller's transaction, and the one place a row is linked into it.

    ``append`` (one row) and ``db.bulk.AuditWriter`` (a load's many rows)
    both take their rows from ``link``: the contiguous ids, the canonical
    text and the keyed hash are written once, here.  A cursor is valid only
    while nothing else appends in the same transaction.
    """

    __slots__ = ("_mac", "next_id", "prev")

    def __init__(self, db: Database) -> None:
        _, _, self._mac, self.next_id, self.prev = _position(db)

    def link(
        self,
        at: str,
        actor: str,
        action: str,
        **subject: Unpack[Subject],
    ) -> tuple[Any, ...]:
        """The next row, in ``INSERT_SQL`` order (its id first), chained to the previous one."""
        row_id = self.next_id
        case_id, task_id, entity_id = subject.get("case_id"), subject.get("task_id"), subject.get("entity_id")
        case_id = None if case_id is None else int(case_id)
        task_id = None if task_id is None else int(task_id)
        entity = subject.get("entity")
        eid = None if entity_id is None else str(entity_id)
        text = _detail_text(subject.get("detail"))
        digest = self._mac(self.prev + canonical_text(at, actor, action, case_id, task_id, entity, eid, text, row_id))
        row = (row_id, at, actor, action, case_id, task_id, entity, eid, text, self.prev, digest)
        self.next_id, self.prev = row_id + 1, digest
        return row


# -- reading ------------------------------------------------------------------


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_NAMES, row, strict=True))


def rows_for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    """The case's audit rows, oldest first (``detail`` still JSON text)."""
    cursor = db.execute(f"SELECT {_COLUMNS} FROM audit WHERE case_id = ? ORDER BY id", [case_id])
    return [_as_dict(row) for row in cursor.fetchall()]


def recent_rows(db: Database, limit: int, before: int | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` rows (below id ``before`` if given), oldest first."""
    if before is None:
        cursor = db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id DESC LIMIT ?", [limit])
    else:
        cursor = db.execute(f"SELECT {_COLUMNS} FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?", [before, limit])
    return [_as_dict(row) for row in reversed(cursor.fetchall())]


def row_value(db: Database, row_id: int) -> str | None:
    """The stored value (``hash``) of row ``row_id``, or None when there is no such row."""
    row = db.execute("SELECT hash FROM audit WHERE id = ?", [row_id]).fetchone()
    return None if row is None else str(row[0])


def count_rows(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])


def head(db: Database) -> tuple[int, str]:
    """(id, value) of the last row; (0, legacy head or GENESIS) on an empty table."""
    last_id, last_hash = _last(db)
    return (last_id, last_hash) if last_hash is not None else (0, read_state(db).legacy_head_hash)


# -- verifying ----------------------------------------------------------------

@dataclass(frozen=True)
class ChainCheck:
    """The outcome of a chain check; ``problem`` is None when it holds.

    ``problem`` codes: gap (a row is missing: ``bad_id`` is the row after the
    hole, ``params["missing"]`` the first missing id), link (``prev_hash`` is
    not the previous row's value), mac (a keyed row's value does not match
    under the key), hash (a legacy row's SHA-256 does not match),
    legacy_head (the row the keyed chain continues from is not the recorded
    head), cut (rows at the end are gone: ``params["last"]`` survives,
    ``params["expected"]`` was the last), seal (the chain's record in
    hall_meta does not match the key), state (that record is incomplete),
    not_keyed (rows exist but the chain was never continued under the key).
    """

    rows: int
    head_id: int
    head_value: str
    keyed: bool
    keyed_from: int | None
    key: dict[str, Any]
    problem: str | None = None
    bad_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(db: Database, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id")
    while True:
        chunk = cursor.fetchmany(batch)
        if not chunk:
            return
        yield from chunk


@dataclass(frozen=True)
class _Break:
    """The first row that does not hold: what is wrong (a ``ChainCheck.problem`` code), where, and its details."""

    problem: str
    bad_id: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Tail:
    """Every row held: the last one's id and value (0 and ``GENESIS`` on an empty table)."""

    last_id: int
    last_value: str


def _walk(db: Database, key: bytes | None, keyed_from: int | None, legacy_head_hash: str) -> _Break | _Tail:
    """Walk every row: the first bad row, else the last row."""
    mac = mac_function(key) if key is not None else None
    sha = hashlib.sha256
    expected, prev = 1, GENESIS
    limit = keyed_from if keyed_from is not None else None
    for rid, at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, value in _rows(db):
        if rid != expected:
            return _Break("gap", int(rid), {"missing": expected})
        if limit is not None and rid >= limit:
            if rid == limit and prev != legacy_head_hash:
                return _Break("legacy_head", int(rid) - 1)
            if prev_hash != prev:
                return _Break("link", int(rid))
            assert mac is not None
            good = mac(prev + canonical_text(at, actor, action, case_id, task_id, entity, entity_id, detail, rid))
            if not hmac.compare_digest(str(value), good):
                return _Break("mac", int(rid))
        else:
            if prev_hash != prev:
                return _Break("link", int(rid))
            text = prev + canonical_text(at, actor, action, case_id, task_id, entity, entity_id, detail)
            if value != sha(text.encode("utf-8")).hexdigest():
                return _Break("hash", int(rid))
        prev = str(value)
        expected += 1
    return _Tail(expected - 1, prev)


def _sequence(db: Database) -> int | None:
    try:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    except Exception:  # no AUTOINCREMENT table at all
        return None
    return None if row is None else int(row[0])


def check_legacy(db: Database) -> ChainCheck | None:
    """The first break of a chain not keyed yet (SHA-256 links, contiguous ids), or None."""
    walked = _walk(db, None, None, GENESIS)
    if isinstance(walked, _Tail):
        return None
    return ChainCheck(rows=count_rows(db), head_id=0, head_value=GENESIS, keyed=False, keyed_from=None,
                      key={}, problem=walked.problem, bad_id=walked.bad_id, params=walked.params)


def check_chain(db: Database) -> ChainCheck:
    """Verify every row against the key, contiguous ids, the recorded legacy head and the tail.

    Raises ``EnvironmentFailure`` (exit 3) when the chain is keyed and no key
    can be read: nothing can be said without it.
    """
    state = read_state(db)
    rows = count_rows(db)
    keyed_from = state.keyed_from if state.keyed else None
    base: dict[str, Any] = {"rows": rows, "keyed": state.keyed, "keyed_from": keyed_from}
    key: AuditKey | None = None
    if state.keyed:
        if not state.consistent():
            return ChainCheck(head_id=0, head_value="", key={}, problem="state", bad_id=keyed_from, **base)
        key, trouble = find_key(db, state)
        if trouble == "mismatch":
            found = _mismatched_key(db, state)
            return ChainCheck(head_id=0, head_value="", key=audit_key.describe(found), problem="seal",
                              bad_id=keyed_from, **base)
    described = audit_key.describe(key)
    walked = _walk(db, None if key is None else key.secret, keyed_from, state.legacy_head_hash)
    if isinstance(walked, _Break):
        return ChainCheck(head_id=0, head_value="", key=described, problem=walked.problem, bad_id=walked.bad_id,
                          params=walked.params, **base)
    last_id, last_value = walked.last_id, walked.last_value
    if keyed_from is not None:
        head_id = keyed_from - 1
        if last_id < head_id:
            return ChainCheck(head_id=last_id, head_value=last_value, key=described, problem="cut",
                              bad_id=last_id + 1, params={"last": last_id, "expected": head_id}, **base)
        if last_id == head_id and head_id > 0 and last_value != state.legacy_head_hash:
            return ChainCheck(head_id=last_id, head_value=last_value, key=described, problem="legacy_head",
                              bad_id=head_id, **base)
    seq = _sequence(db)
    if seq is not None and seq > last_id:
        return ChainCheck(head_id=last_id, head_value=last_value, key=described, problem="cut",
                          bad_id=last_id + 1, params={"last": last_id, "expected": seq}, **base)
    if not state.keyed and rows:
        return ChainCheck(head_id=last_id, head_value=last_value, key=described, problem="not_keyed", bad_id=None, **base)
    if last_id == 0:
        last_value = state.legacy_head_hash
    return ChainCheck(head_id=last_id, head_value=last_value, key=described, **base)


def verify_chain(db: Database) -> int | None:
    """The id of the first row that does not hold, or None (``check_chain`` tells more).

    A chain not keyed yet is judged by its SHA-256 links alone here; the
    doctor reports it as unprotected.
    """
    result = check_chain(db)
    if result.problem in (None, "not_keyed"):
        return None
    return result.bad_id if result.bad_id is not None else 0
