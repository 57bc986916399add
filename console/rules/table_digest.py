"""The policy version, derived from the rules' tables themselves.

Every decision and every stored fact is stamped with the version of the
policy it applied, so that it can be replayed, and the upcoming-retirements
list drops and recomputes rows of another version.  A hand-bumped version
string (``CN-2025-01-01.r1``) stays the same when someone edits a table and
forgets to bump it; then a changed table silently keeps the old version and
stale rows survive.  So the version is a hash of the data: every public,
module-level value of every module of ``console.rules`` (the age bands, the
divisor table, the minimum-contribution schedule, the materials and task
plan, the time limits, the working-day schedules, their sources), found by
walking the package, so a table added in a new module is counted too.  A
value of a kind this module cannot put into canonical form raises instead of
being skipped.  Code is not hashed: a number that decides a case belongs in
a named table, where this digest sees it.  The local parameters add their
own digest on top (``parameters.policy_version``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache

PACKAGE = "console.rules"
PREFIX = "CN"
"""National law: the version reads ``CN-<newest effective date>.<digest>`` (CN-2025-01-01.3f9a...)."""
DIGEST_CHARS = 10


def canonical(value: object) -> object:
    """``value`` as plain JSON data whose text is the same in every process (sets and maps sorted)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Enum):
        return {"enum": f"{type(value).__qualname__}.{value.name}", "value": canonical(value.value)}
    if isinstance(value, re.Pattern):
        return {"pattern": canonical(value.pattern), "flags": value.flags}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "dataclass": type(value).__qualname__,
            "fields": {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Mapping):
        pairs = [(_text(canonical(k)), canonical(v)) for k, v in value.items()]
        return {"map": [[k, v] for k, v in sorted(pairs, key=lambda kv: kv[0])]}
    if isinstance(value, (tuple, list)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(_text(canonical(v)) for v in value)}
    raise TypeError(f"policy tables: no canonical form for {type(value).__qualname__} {value!r}")


def _text(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def module_tables(module: types.ModuleType) -> dict[str, object]:
    """The public module-level data of ``module``: not its functions and classes (code, not tables), nor modules.

    Nor the vocabulary's code lists a rules module re-exports under a local
    name (``materials.CASE_KINDS``): a list of codes is not policy, so a new
    role or case kind alone does not make every stored fact "another
    version"; what the rules say of a new code (its materials, its task-plan
    rows, its time limits) is in a table here and is counted.
    """
    vocabulary_values = _vocabulary_values()
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and not callable(value) and not isinstance(value, types.ModuleType)
        and not _is_shape(value) and id(value) not in vocabulary_values
    }


def _vocabulary_values() -> set[int]:
    """The identities of the vocabulary's families and code lists (and of each family's codes)."""
    from console import vocabulary

    out: set[int] = set()
    for name, value in vars(vocabulary).items():
        if name.startswith("_") or callable(value) or isinstance(value, types.ModuleType):
            continue
        out.add(id(value))
        if isinstance(value, vocabulary.Family):
            out.add(id(value.codes))
    return out


def _is_shape(value: object) -> bool:
    """A type alias, a TypeVar or ``from __future__ import annotations``: how code is written, not data."""
    return isinstance(value, (typing.TypeVar, types.GenericAlias)) or type(value).__module__ in ("typing", "__future__")


def digest(value: object) -> str:
    """A short hash of ``value``'s canonical form."""
    return hashlib.sha256(_text(canonical(value)).encode()).hexdigest()[:DIGEST_CHARS]


def tables_digest(modules: Iterable[types.ModuleType]) -> str:
    """A short hash of every table of ``modules``, keyed by module and name."""
    return digest({m.__name__: module_tables(m) for m in modules})


def rules_modules() -> list[types.ModuleType]:
    """Every module of the rules package, by name (importing the ones not loaded yet)."""
    import importlib
    import pkgutil

    package = importlib.import_module(PACKAGE)
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{PACKAGE}.{name}") for name in names]


@cache
def national_version() -> str:
    """``CN-<newest effective date>.<digest of the rules' tables>``: what a decision records first.

    Cached: the tables are constants of the program.  A test that changes one
    in place calls ``national_version.cache_clear()``.
    """
    from console.rules.policy import in_force_from

    return f"{PREFIX}-{in_force_from().isoformat()}.{tables_digest(rules_modules())}"
