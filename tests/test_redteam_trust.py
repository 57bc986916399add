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
