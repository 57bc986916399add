"""The pre-retirement pipeline (issue #7): stored status, flags, staleness, actions.

Persons, periods and archive rows go in through db/persons.py as intake and
the pre-review would write them; the expected values are worked out by hand
from DOMAIN.md 6.1-6.5 (band edges, the 2030 minimum) or, for a random
sample, recomputed straight from the rules modules, never via status_row.
"""
from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.errors import BadInput, NotFound, PermissionDenied, Refused
from console.i18n import t
from console.rules import policy
from console.rules.birth_date import DOC_KINDS
from console.rules.contribution_minimum import minimum_contribution
from console.rules.flexible import flexible_window
from console.rules.idcard import make_id
from console.rules.intervals import Period, is_in_county, summarise
from console.rules.months import Month
from console.rules.retirement_age import statutory_retirement
from console.rules.table_digest import national_version
from console.services import prereview
from console.services import upcoming as up
from console.settings import load_parameters
from db import cases as cases_db
from db import person_status as status_db
from db import persons as persons_db
from db.connection import transaction

PLACE = "150222"  # Guyang County
BEIJING = "110101"


# --- builders -------------------------------------------------------------------------


def add_person(
    db: Any,
    born: date,
    seq: int,
    *,
    name: str | None = None,
    category: str = "worker",
    female_group: str | None = None,
    periods: Iterable[tuple[str, str, str, str | None]] = (),
    archive: Iterable[dict[str, Any]] = (),
    lost: bool = False,
    phone: str | None = "13800000000",
    place: str = PLACE,
) -> str:
    """Insert a person (odd seq = man) with periods (from, to, kind, place) and archive rows; returns the ID number."""
    number = make_id(place, born, seq)
    fields = {
        "id_number": number,
        "name": name or f"P{seq:03d}",
        "sex": "M" if seq % 2 else "F",
        "birth_date_id": born.isoformat(),
        "staff_category": category,
        "female_group": female_group,
        "archive_lost": int(lost),
        "phone": phone,
        "address": "固阳县金山镇1号",
    }
    with transaction(db):
        pid, _ = persons_db.upsert(db, fields, "test")
        persons_db.replace_periods(db, pid, [
            {"from_month": a, "to_month": b, "kind": k, "place": p} for a, b, k, p in periods
        ])
        persons_db.replace_archive_records(db, pid, list(archive))
    return number


def pid_of(db: Any, number: str) -> int:
    person = persons_db.by_id_number(db, number)
    assert person is not None
    return int(person["id"])


def status(db: Any, number: str) -> dict[str, Any] | None:
    return status_db.status_for(db, pid_of(db, number))


FULL = [("1985-01", "2019-12", "actual", PLACE)]  # 420 county months: never short


@pytest.fixture
def clerk(staff):
    return staff("carol", "clerk", "hrss_reviewer")


# --- 6.1 band edges -------------------------------------------------------------------

# (label, sex seq parity, category, birth month, statutory month, earliest, latest, minimum)
BAND_EDGES = [
    # men: first delayed birth month 1965-01, +1 month per 4, cap 36 (reached at 1976-09)
    ("male last undelayed", 1, "worker", (1964, 12), "2024-12", "2024-12", "2027-12", 180),
    ("male first delayed", 1, "worker", (1965, 1), "2025-02", "2025-01", "2028-02", 180),
    ("male last below cap", 1, "worker", (1976, 8), "2039-07", "2036-08", "2042-07", 240),
    ("male first at cap", 1, "worker", (1976, 9), "2039-09", "2036-09", "2042-09", 240),
    # women, original 55 (cadre): 1970-01, 4, cap 36 (reached at 1981-09)
    ("female55 last undelayed", 0, "cadre", (1969, 12), "2024-12", "2024-12", "2027-12", 180),
    ("female55 first delayed", 0, "cadre", (1970, 1), "2025-02", "2025-01", "2028-02", 180),
    ("female55 last below cap", 0, "cadre", (1981, 8), "2039-07", "2036-08", "2042-07", 240),
    ("female55 first at cap", 0, "cadre", (1981, 9), "2039-09", "2036-09", "2042-09", 240),
    # women, original 50 (workers): 1975-01, 2, cap 60 (reached at 1984-11)
    ("female50 last undelayed", 0, "worker", (1974, 12), "2024-12", "2024-12", "2027-12", 180),
    ("female50 first delayed", 0, "worker", (1975, 1), "2025-02", "2025-01", "2028-02", 180),
    ("female50 last below cap", 0, "worker", (1984, 10), "2039-09", "2036-09", "2042-09", 240),
    ("female50 first at cap", 0, "worker", (1984, 11), "2039-11", "2036-11", "2042-11", 240),
]


def test_band_edges_stored_and_listed(db, clerk) -> None:
    numbers = {}
    for i, (label, parity, category, (y, m), *_rest) in enumerate(BAND_EDGES):
        seq = 2 * i + 1 if parity else 2 * i + 2
        numbers[label] = add_person(db, date(y, m, 15), seq, category=category, name=label, periods=FULL)
    result = up.recompute(db, clerk)
    assert result.persons == len(BAND_EDGES) and result.dropped_for_policy == 0
    for label, parity, category, (y, m), month, earliest, latest, need in BAND_EDGES:
        s = status(db, numbers[label])
        assert s is not None, label
        group = "male" if parity else ("female55" if category == "cadre" else "female50")
        got = (s["grp"], s["birth_month"], s["statutory_month"], s["earliest_month"], s["latest_month"], s["min_months"], s["short_months"])
        assert got == (group, f"{y}-{m:02d}", month, earliest, latest, need, 0), label
    # the same persons through the list, month by month: each appears exactly in its own month
    for label, *_x, month, _e, _l, _n in BAND_EDGES:
        names = [r["name"] for r in up.list_upcoming(db, clerk, months=1, first=month)]
        assert label in names
    # no man reaches his age in 2025-01 (DOMAIN 6.1): an empty month is not an error
    assert up.list_upcoming(db, clerk, months=1, first="2025-01") == []


def test_window_bounds_are_inclusive(db, clerk) -> None:
    number = add_person(db, date(1966, 6, 15), 11, periods=FULL)  # statutory 2026-11
    up.recompute(db, clerk)
    assert [r["id_number"] for r in up.list_upcoming(db, clerk, months=6, first="2026-06")] == [number]
    assert up.list_upcoming(db, clerk, months=6, first="2026-05") == []  # 2026-05..2026-10
    assert [r["id_number"] for r in up.list_upcoming(db, clerk, months=1, first="2026-11")] == [number]
    assert up.list_upcoming(db, clerk, months=6, first="2026-12") == []
    # default start: this month
    assert [r["id_number"] for r in up.list_upcoming(db, clerk, months=1, today=date(2026, 11, 30))] == [number]


def test_list_argument_errors(db, clerk) -> None:
    with pytest.raises(BadInput):
        up.list_upcoming(db, clerk, first="2026-13")
    with pytest.raises(BadInput):
        up.list_upcoming(db, clerk, first="next month")
    with pytest.raises(BadInput) as info:
        up.list_upcoming(db, clerk, flags=["short", "nonsense"])
    assert info.value.key == "upcoming.bad_flag"
    for months in (0, 121):
        with pytest.raises(BadInput):
            up.list_upcoming(db, clerk, months=months)


# --- 6.3 the 2030 step of the minimum -------------------------------------------------


def test_minimum_steps_up_in_2030(db, clerk) -> None:
    county_183 = [("1990-01", "2005-03", "actual", PLACE)]  # 183 months
    in_2029 = add_person(db, date(1968, 12, 15), 11, name="二九", periods=county_183)  # delay 12 -> 2029-12
    in_2030 = add_person(db, date(1969, 1, 15), 13, name="三零", periods=county_183)  # delay 13 -> 2030-02
    up.recompute(db, clerk)
    rows = {r["id_number"]: r for r in up.list_upcoming(db, clerk, months=3, first="2029-12")}
    a, b = rows[in_2029], rows[in_2030]
    assert (a["statutory_month"], a["min_months"], a["counted_months"], a["short_months"]) == ("2029-12", 180, 183, 0)
    assert (b["statutory_month"], b["min_months"], b["counted_months"], b["short_months"]) == ("2030-02", 186, 183, 3)
    assert "short" not in a["flags"] and "short" in b["flags"]
    short = up.list_upcoming(db, clerk, months=3, first="2029-12", flags=["short"])
    assert [r["id_number"] for r in short] == [in_2030]


# --- each flag ------------------------------------------------------------------------


@dataclass
class Cast:
    plain: str
    deemed: str
    mismatch: str
    lost: str
    outside: str
    prereviewed: str
    retired: str
    completed: str
    refused: str


MONTH = "2026-11"  # every one of the cast is a man born 1966-06 (60y5m)


def _cast(db, clerk) -> Cast:
    born = date(1966, 6, 15)
    early = {"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": "1966-06-15"}
    plain = add_person(db, born, 1, name="甲", periods=FULL, archive=[early])
    deemed = add_person(db, born, 3, name="乙", archive=[early], periods=[
        ("1984-01", "1995-12", "deemed", PLACE), ("1996-01", "2019-12", "actual", PLACE)])
    mismatch = add_person(db, born, 5, name="丙", periods=FULL, archive=[
        {"doc_kind": "recruitment_form", "doc_date": "1985-01-01", "birth_date_recorded": "1966-06-15"},
        {"doc_kind": "school_record", "doc_date": "1978-09-01", "birth_date_recorded": "1966-06-02"}])
    lost = add_person(db, born, 7, name="丁", lost=True, periods=[
        ("1984-01", "1995-12", "deemed", PLACE),  # 144 deemed: not counted with a lost archive
        ("1996-01", "2010-12", "actual", PLACE),  # 180 county actual
        ("2011-01", "2012-12", "actual", BEIJING)])  # 24 outside
    outside = add_person(db, born, 9, name="戊", archive=[early], periods=[
        ("1990-01", "2009-12", "actual", PLACE), ("2010-01", "2014-12", "actual", BEIJING)])
    prereviewed = add_person(db, born, 11, name="己", periods=FULL, archive=[early])
    retired = add_person(db, born, 13, name="庚", periods=FULL, archive=[early])
    completed = add_person(db, born, 15, name="辛", periods=FULL, archive=[early])
    refused = add_person(db, born, 17, name="壬", periods=FULL, archive=[early])
    case = up.start_prereview(db, clerk, prereviewed, today=date(2026, 9, 1))
    prereview.record(db, clerk, case["case_no"], [early], [{"from": "1985-01", "to": "2019-12", "kind": "actual", "place": PLACE}],
                     today=date(2026, 9, 1))
    with transaction(db):
        for number, st in ((retired, "delivered"), (completed, "completed"), (refused, "refused")):
            cases_db.insert(db, {"case_no": f"GY-2026-9{pid_of(db, number):05d}", "person_id": pid_of(db, number), "status": st}, "test")
    return Cast(plain, deemed, mismatch, lost, outside, prereviewed, retired, completed, refused)


def test_each_flag(db, clerk) -> None:
    cast = _cast(db, clerk)
    up.recompute(db, clerk)
    rows = {r["id_number"]: r for r in up.list_upcoming(db, clerk, months=1, first=MONTH)}
    # retired persons (a completed or delivered case) are off the list; a refused case is not retirement
    assert cast.retired not in rows and cast.completed not in rows
    assert set(rows) == {cast.plain, cast.deemed, cast.mismatch, cast.lost, cast.outside, cast.prereviewed, cast.refused}
    flags = {n: set(r["flags"]) for n, r in rows.items()}
    assert flags[cast.plain] == {"no_prereview"}
    assert flags[cast.refused] == {"no_prereview"}
    assert flags[cast.prereviewed] == set()
    assert rows[cast.prereviewed]["case_no"] and rows[cast.prereviewed]["has_prereview"] == 1
    assert flags[cast.deemed] == {"deemed", "no_prereview"}
    assert rows[cast.deemed]["deemed_months"] == 144 and rows[cast.deemed]["counted_months"] == 432
    # the earliest record (school, 1978) says 1966-06-02, the ID 1966-06-15: flagged even if the month stays
    assert flags[cast.mismatch] == {"birth_mismatch", "no_prereview"}
    m = rows[cast.mismatch]
    assert (m["birth_month"], m["birth_source"], m["statutory_month"]) == ("1966-06", "archive", "2026-11")
    # lost archive: only county ACTUAL months count; Beijing months are outside
    lost = rows[cast.lost]
    assert flags[cast.lost] == {"lost_archive", "deemed", "outside", "no_prereview"}
    assert (lost["counted_months"], lost["outside_months"], lost["total_months"], lost["short_months"]) == (180, 24, 348, 0)
    out = rows[cast.outside]
    assert flags[cast.outside] == {"outside", "no_prereview"}
    assert (out["counted_months"], out["outside_months"], out["short_months"]) == (240, 60, 0)
    # each --flag filter selects exactly the rows carrying that flag (SQL and Python agree)
    for flag in up.FLAGS:
        picked = {r["id_number"] for r in up.list_upcoming(db, clerk, months=1, first=MONTH, flags=[flag])}
        assert picked == {n for n, f in flags.items() if flag in f}, flag
    both = {r["id_number"] for r in up.list_upcoming(db, clerk, months=1, first=MONTH, flags=["deemed", "outside"])}
    assert both == {cast.lost}
    assert len(up.list_upcoming(db, clerk, months=1, first=MONTH, limit=3)) == 3


def test_lost_archive_can_be_short_on_actual_months(db, clerk) -> None:
    number = add_person(db, date(1966, 6, 15), 1, lost=True, periods=[
        ("1980-01", "1995-12", "deemed", PLACE), ("1996-01", "2005-12", "actual", PLACE)])
    up.recompute(db, clerk)
    s = status(db, number)
    assert (s["counted_months"], s["min_months"], s["short_months"], s["outside_months"]) == (120, 180, 60, 0)
    # the same person with the archive at hand: deemed years count
    with transaction(db):
        persons_db.upsert(db, {"id_number": number, "archive_lost": 0}, "test")
    up.recompute(db, clerk, everyone=False)
    s = status(db, number)
    assert (s["counted_months"], s["short_months"], s["archive_lost"]) == (312, 0, 0)


# --- the flags agree with the rules engine on a random sample -------------------------


def _random_cast(db: Any, n: int, seed: int) -> dict[str, dict[str, Any]]:
    """n random persons; returns their raw inputs by ID number."""
    rnd = random.Random(seed)
    places = [None, "", PLACE, "固阳县", BEIJING, "152921", "150202"]
    out: dict[str, dict[str, Any]] = {}
    for i in range(n):
        male = rnd.random() < 0.5
        seq = 2 * i + (1 if male else 2)
        born = date(1960, 1, 1) + timedelta(days=rnd.randrange((date(1990, 12, 31) - date(1960, 1, 1)).days))
        category = rnd.choice(["worker", "worker", "cadre", "flexible"])
        female_group = None if male or rnd.random() < 0.8 else rnd.choice(["female50", "female55"])
        periods = []
        for _ in range(rnd.randrange(0, 5)):
            kind = rnd.choice(["actual", "actual", "deemed"])
            if kind == "deemed":
                start = Month.of(rnd.randrange(1975, 1996), rnd.randrange(1, 13))
                end = start + rnd.randrange(0, 150)
                if rnd.random() < 0.85 and end >= Month.of(1996, 1):
                    end = Month.of(1995, 12)  # mostly valid; some run past 1996-01 and are refused
            else:
                start = Month.of(rnd.randrange(1985, 2024), rnd.randrange(1, 13))
                end = min(start + rnd.randrange(0, 240), Month.of(2026, 10))
            if end < start:
                end = start
            periods.append((str(start), str(end), kind, rnd.choice(places)))
        archive = []
        for _ in range(rnd.randrange(0, 4)):
            roll = rnd.random()
            if roll < 0.6:
                recorded = born
            elif roll < 0.85:
                recorded = born + timedelta(days=rnd.choice([-400, -95, -31, -3, 2, 40, 370]))
            else:
                recorded = None
            altered = rnd.random() < 0.15
            doc_date = None if rnd.random() < 0.1 else date(rnd.randrange(1970, 2000), rnd.randrange(1, 13), 1)
            archive.append({
                "doc_kind": rnd.choice(DOC_KINDS),
                "doc_date": doc_date.isoformat() if doc_date else None,
                "birth_date_recorded": recorded.isoformat() if recorded else None,
                "altered": altered,
                "altered_confirmed": altered and rnd.random() < 0.5,
            })
        lost = rnd.random() < 0.1
        number = add_person(db, born, seq, category=category, female_group=female_group, periods=periods, archive=archive, lost=lost)
        out[number] = {"male": male, "born": born, "category": category, "female_group": female_group,
                       "periods": periods, "archive": archive, "lost": lost}
    return out


def _expected(p: dict[str, Any]) -> dict[str, Any]:
    """The status of one person, computed here from the rules modules (and plain sets of months)."""
    params = load_parameters()
    # group (DOMAIN 6.1 last paragraph)
    if p["male"]:
        group = "male"
    elif p["female_group"]:
        group = p["female_group"]
    else:
        group = {"cadre": "female55", "flexible": params.flexible_worker_female_group}.get(p["category"], "female50")
    # birth (6.4): the earliest unaltered (or confirmed) archive record wins over the ID card
    usable = [(i, r) for i, r in enumerate(p["archive"])
              if r["birth_date_recorded"] and (not r["altered"] or r["altered_confirmed"])]
    if usable:
        _, r = min(usable, key=lambda ir: (ir[1]["doc_date"] or "9999-99-99", DOC_KINDS.index(ir[1]["doc_kind"]), ir[0]))
        birth, source = date.fromisoformat(r["birth_date_recorded"]), "archive"
    else:
        birth, source = p["born"], "id_card"
    statutory = statutory_retirement(Month.from_date(birth), group)
    window = flexible_window(statutory)
    need = minimum_contribution(statutory.statutory_month).months
    # months as plain sets (6.3: each calendar month once; 6.5: deemed may not run past the start)
    start = params.personal_contribution_start
    usable_periods = [q for q in p["periods"] if not (q[2] == "deemed" and Month.parse(q[1]) >= start)]

    def months(rows: Iterable[tuple[str, str, str, str | None]]) -> set[int]:
        return {m for a, b, _k, _p in rows for m in range(Month.parse(a).ordinal, Month.parse(b).ordinal + 1)}

    actual = months(q for q in usable_periods if q[2] == "actual")
    deemed = months(q for q in usable_periods if q[2] == "deemed") - actual
    county = months(q for q in usable_periods if is_in_county(q[3] or "", params.county_places))
    counted = len(county & actual) if p["lost"] else len(county)
    everywhere = len(actual) if p["lost"] else len(actual | deemed)
    # the same totals through intervals.summarise
    summary = summarise([Period(Month.parse(a), Month.parse(b), k, pl or "") for a, b, k, pl in p["periods"]],
                        params.county_places, start)
    assert (summary.total_months, summary.deemed_months, summary.county_months, summary.county_actual_months) == (
        len(actual | deemed), len(deemed), len(county), len(county & actual))
    flags = []
    if max(0, need - counted) > 0:
        flags.append("short")
    if deemed:
        flags.append("deemed")
    flags.append("no_prereview")
    if source == "archive" and birth != p["born"]:
        flags.append("birth_mismatch")
    if p["lost"]:
        flags.append("lost_archive")
    if everywhere - counted > 0:
        flags.append("outside")
    return {
        "grp": group,
        "birth_month": str(Month.from_date(birth)),
        "birth_source": source,
        "statutory_month": str(statutory.statutory_month),
        "earliest_month": str(window.earliest),
        "latest_month": str(window.latest),
        "min_months": need,
        "counted_months": counted,
        "short_months": max(0, need - counted),
        "total_months": len(actual | deemed),
        "outside_months": everywhere - counted,
        "deemed_months": len(deemed),
        "birth_mismatch": int("birth_mismatch" in flags),
        "archive_lost": int(p["lost"]),
        "flags": flags,
    }


def test_random_sample_agrees_with_the_rules(db, clerk) -> None:
    cast = _random_cast(db, 300, seed=20260107)
    result = up.recompute(db, clerk)
    assert result.persons == 300
    listed: dict[str, dict[str, Any]] = {}
    first = Month.of(2005, 1)
    while first <= Month.of(2059, 12):  # 120-month windows covering every statutory month of the sample
        for r in up.list_upcoming(db, clerk, months=120, first=str(first)):
            assert r["id_number"] not in listed
            listed[r["id_number"]] = r
        first = first + 120
    assert set(listed) == set(cast)
    mismatches = []
    for number, p in cast.items():
        want = _expected(p)
        got = {k: listed[number][k] for k in want}
        if got != want:
            mismatches.append((number, p, got, want))
    assert not mismatches, mismatches[:3]
    # the sample does exercise every flag (or this test proves little)
    counts = {f: sum(f in r["flags"] for r in listed.values()) for f in up.FLAGS}
    assert all(counts[f] >= 5 for f in up.FLAGS if f != "no_prereview"), counts
    # the SQL filter of each flag selects the same persons as the flags computed in Python
    for flag in up.FLAGS:
        picked = set()
        first = Month.of(2005, 1)
        while first <= Month.of(2059, 12):
            picked |= {r["id_number"] for r in up.list_upcoming(db, clerk, months=120, first=str(first), flags=[flag])}
            first = first + 120
        assert picked == {n for n, r in listed.items() if flag in r["flags"]}, flag


# --- staleness --------------------------------------------------------------------------


def test_changes_drop_the_row_and_the_list_recomputes(db, clerk) -> None:
    born = date(1976, 1, 15)  # a woman of the 50 group: 50y7m -> 2026-08
    number = add_person(db, born, 2, periods=FULL)
    other = add_person(db, date(1966, 6, 15), 1, periods=FULL)
    up.recompute(db, clerk)
    pid = pid_of(db, number)
    assert status(db, number)["statutory_month"] == "2026-08"

    # periods
    with transaction(db):
        persons_db.replace_periods(db, pid, [{"from_month": "2000-01", "to_month": "2009-12", "kind": "actual", "place": PLACE}])
    assert status(db, number) is None and status(db, other) is not None
    row, = up.list_upcoming(db, clerk, months=1, first="2026-08")
    assert (row["counted_months"], row["short_months"], row["flags"]) == (120, 60, ["short", "no_prereview"])

    # archive: an earlier record with another birth date moves the month
    with transaction(db):
        persons_db.replace_archive_records(db, pid, [
            {"doc_kind": "school_record", "doc_date": "1984-09-01", "birth_date_recorded": "1974-11-20"}])
    assert status(db, number) is None
    assert up.list_upcoming(db, clerk, months=1, first="2026-08") == []
    row, = up.list_upcoming(db, clerk, months=1, first="2024-11")  # born 1974-11: before the reform, 50y0m
    assert row["id_number"] == number and "birth_mismatch" in row["flags"]

    # category: a cadre woman is in the 55 group
    with transaction(db):
        persons_db.upsert(db, {"id_number": number, "staff_category": "cadre"}, "test")
    assert status(db, number) is None
    row, = up.list_upcoming(db, clerk, months=1, first="2031-02")  # 1974-11: d = 58, delay 58 // 4 + 1 = 15: 56y3m
    assert (row["id_number"], row["grp"]) == (number, "female55")

    # sex (a corrected record)
    with transaction(db):
        persons_db.upsert(db, {"id_number": number, "sex": "M"}, "test")
    assert status(db, number) is None
    up.list_upcoming(db, clerk)
    assert status(db, number)["grp"] == "male"

    # a change that does not bear on retirement keeps the row
    with transaction(db):
        persons_db.upsert(db, {"id_number": number, "phone": "13911112222"}, "test")
    assert status(db, number) is not None
    # refresh=False reads what is stored, stale rows and all
    with transaction(db):
        persons_db.replace_periods(db, pid, [])
    assert all(r["id_number"] != number for r in up.list_upcoming(db, clerk, months=120, first="2020-01", refresh=False))


@pytest.fixture
def fresh_policy_version():
    """A test that edits a policy table in place must not leave the old (or its) version cached."""
    national_version.cache_clear()
    yield
    national_version.cache_clear()


def test_policy_table_change_recomputes_everyone(db, clerk, monkeypatch, fresh_policy_version) -> None:
    """Editing a table is enough: the version is a hash of the tables, nobody has to bump it."""
    numbers = [add_person(db, date(1966, 6, 15), 2 * i + 1, periods=FULL) for i in range(5)]
    first = up.recompute(db, clerk)
    assert first.persons == 5
    old = status(db, numbers[0])["policy_version"]
    assert old == up.policy_version(load_parameters()) and status(db, numbers[0])["statutory_month"] == "2026-11"
    again = up.recompute(db, clerk, everyone=False)
    assert (again.persons, again.dropped_for_policy) == (0, 0)

    # the male schedule delays by one month every 3 months of birth instead of 4
    monkeypatch.setitem(policy.AGE_BANDS, "male", replace(policy.AGE_BANDS["male"], step_months=3))
    national_version.cache_clear()
    redo = up.recompute(db, clerk, everyone=False)
    assert (redo.persons, redo.dropped_for_policy) == (5, 5)
    new = status(db, numbers[0])["policy_version"]
    assert new != old and new.split("+")[0] == national_version() and new.split("+")[1] == old.split("+")[1]
    assert {status(db, n)["statutory_month"] for n in numbers} == {"2026-12"}  # the new table's month, not a stale row's
    # the list alone is enough to bring the rows up to date
    monkeypatch.setitem(policy.AGE_BANDS, "male", replace(policy.AGE_BANDS["male"], step_months=2))
    national_version.cache_clear()
    rows = up.list_upcoming(db, clerk, months=6, first="2026-11")
    assert len(rows) == 5 and {r["policy_version"] for r in rows} == {up.policy_version(load_parameters())}
    assert {r["statutory_month"] for r in rows} == {"2027-03"}


@pytest.fixture
def fresh_parameters():
    load_parameters.cache_clear()
    yield
    load_parameters.cache_clear()


def test_parameters_file_change_recomputes_everyone(db, clerk, tmp_path: Path, monkeypatch, fresh_parameters) -> None:
    number = add_person(db, date(1966, 6, 15), 1, periods=[("1990-01", "2009-12", "actual", PLACE), ("2010-01", "2014-12", "actual", BEIJING)])
    up.recompute(db, clerk)
    row, = up.list_upcoming(db, clerk, months=1, first="2026-11")
    assert "outside" in row["flags"] and row["outside_months"] == 60
    override = tmp_path / "params.toml"
    override.write_text('[county_places]\nvalue = ["150222", "固阳县", "110101"]\nstatus = "confirmed"\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(override))
    load_parameters.cache_clear()
    row, = up.list_upcoming(db, clerk, months=1, first="2026-11")
    assert "outside" not in row["flags"] and (row["outside_months"], row["counted_months"]) == (0, 300)
    assert status(db, number)["policy_version"] == up.policy_version(load_parameters())


# --- actions ----------------------------------------------------------------------------


def test_start_prereview_opens_one_draft(db, clerk, staff) -> None:
    number = add_person(db, date(1966, 6, 15), 1, periods=FULL)
    lost = add_person(db, date(1966, 6, 15), 3, periods=FULL, lost=True)
    case = up.start_prereview(db, clerk, number, today=date(2026, 9, 1))
    assert case["status"] == "draft" and case["kind"] == "normal"
    with pytest.raises(Refused) as info:
        up.start_prereview(db, clerk, number, today=date(2026, 9, 2))
    assert info.value.key == "intake.open_case_exists"
    assert up.start_prereview(db, clerk, lost, today=date(2026, 9, 1))["kind"] == "lost_archive"
    row = {r["id_number"]: r for r in up.list_upcoming(db, clerk, months=1, first="2026-11")}[number]
    assert row["case_no"] == case["case_no"] and "no_prereview" in row["flags"]  # a draft without facts
    with pytest.raises(NotFound):
        up.start_prereview(db, clerk, make_id(PLACE, date(1970, 1, 1), 11))
    with pytest.raises(PermissionDenied):
        up.start_prereview(db, staff("mel", "medical"), add_person(db, date(1966, 6, 15), 5, periods=FULL))


def test_told_records_a_contact_and_an_audit_row(db, clerk, staff) -> None:
    number = add_person(db, date(1966, 6, 15), 1, periods=FULL)
    out = up.record_contact(db, clerk, number.lower(), "phone", "本人接听，下月来", on=date(2026, 9, 3))
    assert out["at"] == "2026-09-03" and out["channel"] == "phone"
    up.record_contact(db, clerk, number, "sms", None, on=date(2026, 10, 1))
    contacts = status_db.contacts(db, pid_of(db, number))
    assert [(c["at"], c["channel"], c["login"]) for c in contacts] == [("2026-09-03", "phone", "carol"), ("2026-10-01", "sms", "carol")]
    audit = db.execute("SELECT actor, action, entity, entity_id, detail FROM audit WHERE action = 'person.contacted' ORDER BY id").fetchall()
    assert len(audit) == 2 and audit[0][:4] == ("carol", "person.contacted", "person", str(pid_of(db, number)))
    assert json.loads(audit[0][4])["note"] == "本人接听，下月来"
    row, = up.list_upcoming(db, clerk, months=1, first="2026-11")
    assert row["last_contact"] == "2026-10-01"
    medic = staff("mel", "medical")
    before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    with pytest.raises(BadInput):
        up.record_contact(db, clerk, number, "pigeon")
    with pytest.raises(NotFound):
        up.record_contact(db, clerk, make_id(PLACE, date(1970, 1, 1), 11), "phone")
    with pytest.raises(PermissionDenied):
        up.record_contact(db, medic, number, "phone")
    assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == before
    assert len(status_db.contacts(db, pid_of(db, number))) == 2


def test_remind_names_the_month_and_the_shortfall(db, clerk) -> None:
    number = add_person(db, date(1969, 1, 15), 13, name="三零", periods=[
        ("1990-01", "2005-03", "actual", PLACE), ("2006-01", "2006-12", "actual", BEIJING)])
    text = up.reminder_text(db, clerk, number, "en")  # computes the missing row itself
    assert "三零" in text and "2030-02" in text
    assert "3 months short of the minimum of 186 months" in text
    assert "12 months of your contributions were paid outside the county" in text
    zh = up.reminder_text(db, clerk, number, "zh")
    assert "2030-02" in zh and "186" in zh
    full = add_person(db, date(1966, 6, 15), 1, periods=FULL)
    assert "short" not in up.reminder_text(db, clerk, full, "en")
    with pytest.raises(NotFound):
        up.reminder_text(db, clerk, make_id(PLACE, date(1970, 1, 1), 11), "en")


def test_export_csv_and_xlsx(db, clerk, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from console.cli_upcoming import EXPORT_COLUMNS, _export

    cast = _cast(db, clerk)
    rows = up.list_upcoming(db, clerk, months=1, first=MONTH)
    header = [t(f"upcoming.col.{c}") for c in EXPORT_COLUMNS]
    path = tmp_path / "list.csv"
    _export(rows, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert table[0] == header and len(table) == len(rows) + 1
    by_id = {r[EXPORT_COLUMNS.index("id_number")]: r for r in table[1:]}
    lost = by_id[cast.lost]
    assert lost[EXPORT_COLUMNS.index("statutory_month")] == MONTH and lost[EXPORT_COLUMNS.index("outside_months")] == "24"
    assert t("upcoming.flag.lost_archive") in lost[EXPORT_COLUMNS.index("flags")]

    xlsx = tmp_path / "list.xlsx"
    _export(rows, xlsx)
    sheet = load_workbook(xlsx, read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == header and len(values) == len(rows) + 1
    got = {r[EXPORT_COLUMNS.index("id_number")]: r for r in values[1:]}
    assert got[cast.lost][EXPORT_COLUMNS.index("counted_months")] == 180
    assert got[cast.prereviewed][EXPORT_COLUMNS.index("case_no")] == rows[[r["id_number"] for r in rows].index(cast.prereviewed)]["case_no"]
    with pytest.raises(BadInput):
        _export(rows, tmp_path / "list.txt")
    with pytest.raises(BadInput):
        _export(rows, tmp_path / "missing" / "list.csv")


def test_light_status_row_matches_the_full_pre_review(db, clerk) -> None:
    """status_row skips the parts of compute_facts the list does not need; what it keeps is the same."""
    from console.rules.retirement_facts import compute_facts

    _random_cast(db, 200, seed=99)
    params = load_parameters()
    for person, recs, pers in status_db.read_batch(db, 0, 10_000):
        pf = up.facts_of(person, recs, pers)
        row = dict(zip(status_db.STATUS_COLUMNS, up.status_row(person[0], pf, params, "v", "now"), strict=True))
        f = compute_facts(pf, params).as_dict()
        lost = pf.archive_lost
        counted = f["county_actual_months"] if lost else f["county_months"]
        assert (row["grp"], row["birth_source"], row["statutory_month"], row["earliest_month"], row["latest_month"],
                row["min_months"], row["counted_months"], row["total_months"], row["deemed_months"]) == (
            f["group"], f["birth_source"], f["statutory_month"], f["earliest_month"], f["latest_month"],
            f["min_contribution_months"], counted, f["total_months"], f["deemed_months"])
        assert row["outside_months"] == (f["actual_months"] if lost else f["total_months"]) - counted
        assert row["birth_mismatch"] == any(x["code"] == "rules.birth.id_mismatch" for x in f["findings"])


# --- batches: interruption and a clerk saving meanwhile -----------------------------------


def test_interrupted_recompute_keeps_what_it_wrote(db, clerk, monkeypatch) -> None:
    monkeypatch.setattr(up, "BATCH", 10)
    numbers = [add_person(db, date(1966, 6, 15), 2 * i + 1, periods=FULL) for i in range(35)]
    seen = []

    def stop_after_two(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        up.recompute(db, clerk, progress=stop_after_two)
    assert seen == [(10, 35), (20, 35)]
    assert sum(status(db, n) is not None for n in numbers) == 20
    rest = up.recompute(db, clerk, everyone=False, progress=lambda d, t: seen.append((d, t)))
    assert rest.persons == 15 and seen[2:] == [(10, 15), (15, 15)]
    assert all(status(db, n) is not None for n in numbers)


def test_a_save_during_the_recompute_neither_fails_nor_leaves_a_stale_row(db, db_path, clerk, monkeypatch) -> None:
    from db.connection import open_database

    monkeypatch.setattr(up, "BATCH", 10)
    numbers = [add_person(db, date(1966, 6, 15), 2 * i + 1, periods=FULL) for i in range(40)]
    early, late = pid_of(db, numbers[3]), pid_of(db, numbers[35])
    other = open_database(db_path, create=False)  # another clerk's session on the same file
    calls = []

    def clerk_saves(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 1:  # after the first batch: one person already computed, one not yet
            with transaction(other):
                persons_db.replace_periods(other, early, [{"from_month": "2000-01", "to_month": "2000-12", "kind": "actual"}])
                persons_db.replace_periods(other, late, [{"from_month": "2001-01", "to_month": "2001-06", "kind": "actual"}])

    try:
        result = up.recompute(db, clerk, progress=clerk_saves)
    finally:
        other.close()
    assert result.persons == 40
    assert status_db.status_for(db, early) is None  # dropped by the trigger, computed at the next list
    assert status_db.status_for(db, late)["counted_months"] == 6  # read after the save
    last = pid_of(db, numbers[39])
    with transaction(db):  # a second stale person far from the first: the batch looks each one up
        persons_db.replace_periods(db, last, [{"from_month": "2002-01", "to_month": "2002-03", "kind": "actual"}])
    rows = {r["person_id"]: r for r in up.list_upcoming(db, clerk, months=1, first="2026-11")}
    assert rows[early]["counted_months"] == 12 and rows[late]["counted_months"] == 6 and len(rows) == 40
    assert rows[last]["counted_months"] == 3


def test_batch_facts_are_the_stored_facts(db, clerk) -> None:
    """The county-wide recompute reads persons as tuples; through the one builder it must read each
    exactly as a case's pre-review reads the stored person (only the pension inputs, which the list
    does not use, are left out of the batch)."""
    from console.services.person_facts import person_facts

    cast = _random_cast(db, 200, seed=20261202)
    with transaction(db):
        db.conn.execute("UPDATE persons SET average_index = '1.2345', account_balance = '60000.00', insured_before_2011_07 = id % 2")
    inputs = status_db.read_batch(db, 0, 1000)
    assert len(inputs) == len(cast)
    for person, recs, pers in inputs:
        stored = person_facts(db, persons_db.get(db, person[0]))
        assert stored.average_index is not None and stored.account_balance is not None
        assert up.facts_of(person, recs, pers) == replace(stored, average_index=None, account_balance=None)
    assert any(up.facts_of(*i).periods for i in inputs) and any(up.facts_of(*i).archive_records for i in inputs)


def test_an_unreadable_stored_date_skips_that_person_only(db, clerk) -> None:
    """A birth date in Arabic-Indic digits (put in by SQL, past the text policy) is refused by the
    builder; the recompute skips that one person and computes everyone else."""
    good = add_person(db, date(1970, 5, 1), 1, periods=FULL)
    bad = add_person(db, date(1970, 6, 1), 3, periods=FULL)
    with transaction(db):
        db.conn.execute("UPDATE persons SET birth_date_id = '١٩٧٠-٠٦-٠١' WHERE id = ?", [pid_of(db, bad)])
    result = up.recompute(db, clerk)
    assert result.skipped == [pid_of(db, bad)]
    assert status(db, good) is not None and status(db, bad) is None
