"""Fuzz suite settings: Hypothesis profiles ``ci`` (the default) and ``deep`` (bench/fuzz), the template hall.

``pytest`` runs the ``ci`` profile: a few hundred examples per entry point,
a few thousand in all.  ``HYPOTHESIS_PROFILE=deep`` (what ``bench/fuzz``
sets) runs FUZZ_EXAMPLES (default 10,000) per entry point.  Every test here
carries the ``fuzz`` marker: ``pytest -m "not fuzz"`` leaves them out.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.fuzz import harness
from tests.fuzz.harness import Template, build_template  # registers the profiles ci and deep

_STATS: dict[str, dict[str, float]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.fuzz)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("fuzz-template"))


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the per-example copies and files (each example overwrites its own)."""
    return tmp_path_factory.mktemp("fuzz-scratch")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """Per test: wall seconds and examples checked (FUZZ_STATS=FILE writes them at the end; bench/fuzz reads it)."""
    before = sum(harness.EXAMPLES.values())
    started = time.perf_counter()
    cpu = time.process_time()
    yield
    _STATS[item.nodeid] = {"examples": sum(harness.EXAMPLES.values()) - before,
                           "seconds": round(time.perf_counter() - started, 2),
                           "cpu_seconds": round(time.process_time() - cpu, 2)}


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("FUZZ_STATS")
    if not target or not _STATS:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = Path(f"{target}.{worker}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_STATS, indent=1), encoding="utf-8")
