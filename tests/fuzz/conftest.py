"""Fuzz suite settings: Hypothesis profiles ``ci`` (the default) and ``deep`` (bench/fuzz), the template hall.

``pytest`` runs the ``ci`` profile: a few hundred examples per entry point,
a few thousand in all.  ``HYPOTHESIS_PROFILE=deep`` (what ``bench/fuzz``
sets) runs FUZZ_EXAMPLES (default 10,000) per entry point.  Every test here
carries the ``fuzz`` marker: ``pytest -m "not fuzz"`` leaves them out.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import Template, build_template  # registers the profiles ci and deep


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
