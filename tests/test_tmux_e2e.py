"""End to end in a real terminal: `retire tui --demo` inside tmux at 80x24.

Types like a clerk (send-keys) and reads the screen (capture-pane), so it
checks what the terminal really shows: wide characters, layout, keys.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
CASE_ROW = re.compile(r"(GY-\d{4}-\d{6})\s+(\S+)\s")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_for(session: str, predicate, timeout: float = 30.0) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = _screen(session)
        if predicate(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out; the screen shows:\n{text}")


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    name = f"retire-e2e-{uuid.uuid4().hex[:8]}"
    env = {
        "RETIRE_LOGIN": "e2eclerk", "RETIRE_LANG": "zh", "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT),
        "RETIRE_DB": str(tmp_path / "unused.db"), "TEXTUAL_ANIMATIONS": "none",
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -c 'import console.cli as c; c.main()' tui --demo --cases 60"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True, env={**os.environ, "TERM": "xterm-256color"})
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def test_search_by_pinyin_and_open_a_case(session: str) -> None:
    from console.names import initials

    queue = _wait_for(session, lambda s: "第 1/1 页" in s and len(CASE_ROW.findall(s)) >= 10, timeout=60)
    assert "共 60 件" in queue
    rows = CASE_ROW.findall(queue)
    assert rows, queue
    # a name whose initials are unique on the first screen, so the search finds exactly it
    chosen = next(((no, name) for no, name in rows if sum(initials(n) == initials(name) for _, n in rows) == 1), rows[0])
    case_no, name = chosen
    time.sleep(0.5)  # let the first paint settle before typing, as a person would
    _tmux("send-keys", "-t", session, "/")
    time.sleep(0.3)
    _tmux("send-keys", "-t", session, "-l", initials(name))
    _wait_for(session, lambda s: case_no in s and "共 60 件" not in s)
    _tmux("send-keys", "-t", session, "Enter")
    time.sleep(0.3)
    _tmux("send-keys", "-t", session, "Enter")
    detail = _wait_for(session, lambda s: "办件详情" in s and "申请人" in s)
    assert case_no in detail and name in detail
    for line in detail.splitlines():  # nothing spills past 80 columns
        assert len(line) <= 80
    _tmux("send-keys", "-t", session, "C-q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and session in _tmux("ls"):
        time.sleep(0.2)
