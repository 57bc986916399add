"""Bug 9 (issue 14): one phone rule and one name rule for the window, the CLI and the importer."""
from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from console.errors import BadInput
from console.services import intake
from console.services.importing.values import FieldError, parse_person_name, parse_phone
from tests.workflow_helpers import TODAY, applicant, id_number


@pytest.fixture
def clerk(staff):
    return staff("carol", "clerk")


@pytest.mark.parametrize("phone", ["1390472123", "abc", "12345678901", "0472-12"])
def test_a_phone_that_is_not_one_is_refused_by_the_importer_too(phone: str) -> None:
    assert isinstance(parse_phone(phone), FieldError)


@pytest.mark.parametrize(("phone", "stored"), [("13904721234", "13904721234"), ("0472-8121234", "0472-8121234"),
                                                ("04728121234", "04728121234")])
def test_mobile_and_landline_with_area_code_pass_the_importer(phone: str, stored: str) -> None:
    assert parse_phone(phone) == stored


@pytest.mark.parametrize("name", ["王fang", "Zhang三", "李ＸＩ"])
def test_a_name_mixing_han_and_latin_is_refused_with_a_hint(db, clerk, name: str) -> None:
    with pytest.raises(BadInput) as info:
        intake.open_case(db, clerk, applicant(name=name), today=TODAY)
    assert info.value.key == "door.mixed_name_refused"
    assert "·" in info.value.text("zh")  # the hint names the middle dot
    assert isinstance(parse_person_name(name), FieldError)


@pytest.mark.parametrize("name", ["John Smith", "阿依古丽·买买提", "玛丽·Smith", "张三"])
def test_latin_only_and_middle_dot_names_stay_allowed(db, clerk, name: str) -> None:
    case = intake.open_case(db, clerk, applicant(name=name), today=TODAY)
    assert case["status"] == "draft"
    assert parse_person_name(name) == name


def test_cli_case_new_refuses_a_mixed_name_with_exit_2(env: dict[str, str], cli_app: Any) -> None:
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"], env={"RETIRE_LOGIN": "alice"}).exit_code == 0
    assert runner.invoke(cli_app, ["staff", "add", "carol", "--name", "Carol", "--role", "clerk"],
                         env={"RETIRE_LOGIN": "alice"}).exit_code == 0
    out = runner.invoke(cli_app, ["case", "new", "--id", id_number(), "--name", "王fang"], env={"RETIRE_LOGIN": "carol"})
    assert out.exit_code == 2, out.output
    assert "王fang" in out.output and "Traceback" not in out.output
    out = runner.invoke(cli_app, ["case", "new", "--id", id_number(), "--name", "王芳", "--phone", "1390472123"],
                        env={"RETIRE_LOGIN": "carol"})
    assert out.exit_code == 2, out.output
