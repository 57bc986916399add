"""Red-team findings on the trust boundary of issue 11: each test is a hole found by trying it.

Every test here failed before its fix.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.errors import BadInput
from console.safe_files import atomic_writer


def test_a_directory_swapped_for_a_link_while_writing_never_receives_the_file(tmp_path: Path) -> None:
    """The writer checks a directory, then writes and renames in THAT directory, never in a path resolved later.

    Found on a hall: a clerk flipping ``/tmp/mine/d`` between a real directory
    and a link to the hall's directory (renameat2 RENAME_EXCHANGE in a loop)
    got ``retire export cases --out /tmp/mine/d/x.csv`` to land in the hall's
    0700 directory, past the protected-path check (with ``--force`` and
    ``hall.db`` as the name: over the database).  Here the swap is done at the
    worst moment, deterministically, from inside the write.
    """
    mine = tmp_path / "mine"
    (mine / "d").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    target = mine / "d" / "out.csv"
    with pytest.raises((BadInput, OSError)):
        with atomic_writer(target, binary=False) as handle:
            handle.write("=cmd\n")
            # the attacker: the real directory goes away, a link to the victim takes its name,
            # and the writer's temporary file is moved to where the link points
            (temp,) = (mine / "d").iterdir()
            (mine / "d").rename(mine / "moved")
            (mine / "d").symlink_to(victim)
            os.rename(mine / "moved" / temp.name, victim / temp.name)
    assert not (victim / "out.csv").exists()


ESCAPES = "\x1b]0;pwned\x07王\x1b[2J\u202e\u200b\u009b31m"


def _forbidden(text: str) -> list[str]:
    from console.text_policy import for_display

    return [c for c in text if c not in for_display(c) and c != "\n"]


async def test_a_staff_name_put_in_by_sql_never_reaches_the_terminal_title(db_path, db, staff) -> None:  # type: ignore[no-untyped-def]
    """Found with tmux on a hall: the console's header showed the acting staff member's name raw,
    so a name stored by SQL (or before the text policy) set the terminal's title and wiped the screen."""
    from screens.app import RetireApp
    from screens.context import AppContext

    staff("alice", "clerk")
    db.execute("UPDATE staff SET name = ? WHERE login = 'alice'", [ESCAPES])
    db.conn.commit()
    app = RetireApp(AppContext(db_path=db_path, login="alice", lang="en"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "王" in app.sub_title
        assert _forbidden(app.sub_title) == []
        assert _forbidden(app.export_screenshot()) == []


# -- on a real hall, as real OS accounts (root only) -----------------------------------------

from tests.test_hall_setup import Hall, needs_root, ok, run  # noqa: E402
from tests.workflow_helpers import id_number  # noqa: E402


def _install(h: Hall) -> None:
    ok(run(*h.setup_args()))
    ok(run("usermod", "-a", "-G", h.group, h.clerk))
    ok(h.as_user(h.admin, "staff", "add", h.clerk, "--name", "王芳", "--role", "clerk"))


def _rows_as_account(h: Hall, sql: str) -> list[list]:
    import json
    import sys

    script = ("import json, sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True); "
              "print(json.dumps([list(r) for r in c.execute(sys.argv[2])]))")
    return json.loads(ok(run("runuser", "-u", h.account, "--", "env", "-i", "PATH=/usr/bin:/bin", sys.executable,
                             "-c", script, str(h.db), sql)))


@needs_root
def test_a_clerk_cannot_move_the_halls_clock_with_tz(accounts_hall: Hall) -> None:
    """Found on a hall: sudo lets TZ through (env_check), and the program took its dates from it:
    ``TZ=XXX+23 retire case new ...`` received the case yesterday (its legal clock one day longer)
    and wrote audit rows dated the day before.  The service account keeps the server's zone."""
    h = accounts_hall
    _install(h)
    for login, zone in ((h.clerk, "XXX+23"), (h.clerk, "YYY-14")):
        ok(h.as_user(login, "case", "new", "--id", id_number(60 if zone.startswith("X") else 61), "--name", "张三",
                     "--received", "id_card_hukou", extra_env={"TZ": zone}))
    stamps = _rows_as_account(h, "SELECT received_at FROM cases UNION ALL SELECT at FROM audit")
    offsets = {s[0][19:] for s in stamps}
    assert offsets == {time_offset()}, offsets


def time_offset() -> str:
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")[19:]


@needs_root
def test_a_chain_stripped_of_its_keyed_record_is_named_as_such_by_the_doctor(accounts_hall: Hall) -> None:
    """Found on a hall: with the keyed record deleted from hall_meta and every value recomputed with
    plain SHA-256, the doctor told the admin to "run `retire init` to continue it under the key"
    (which then refuses, sending them back to the doctor).  It must say the record was removed."""
    import hashlib
    import sqlite3

    from db.audit import canonical_text

    h = accounts_hall
    _install(h)
    ok(h.as_user(h.clerk, "case", "new", "--id", id_number(62), "--name", "张三", "--received", "id_card_hukou"))
    c = sqlite3.connect(h.db)  # root, as anyone who can write the file
    c.execute("DROP TRIGGER audit_no_update")
    c.execute("DELETE FROM hall_meta WHERE key LIKE 'audit_%'")
    prev = "0" * 64
    rows = c.execute("SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail FROM audit ORDER BY id")
    for rid, *fields in rows.fetchall():
        actor = "nobody" if rid == 2 else fields[1]
        value = hashlib.sha256((prev + canonical_text(fields[0], actor, *fields[2:])).encode()).hexdigest()
        c.execute("UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?", (actor, prev, value, rid))
        prev = value
    c.commit()
    c.close()
    doctor = h.as_user(h.admin, "doctor")
    assert doctor.returncode == 1, doctor
    line = next(x for x in doctor.stdout.splitlines() if x.startswith("audit_key"))
    assert "FAIL" in line and "removed" in line and "retire init" not in line.replace("`retire init` was", ""), line
