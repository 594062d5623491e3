"""parameters.yaml is checked when it is loaded: every value dated and sourced, no key unread."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from ledger.eligibility.parameters import PARAMETERS_FILE, parse
from ledger.eligibility.parameters_schema import ParametersInvalid
from ledger.errors import LedgerError


@pytest.fixture(scope="module")
def shipped():
    return yaml.safe_load(PARAMETERS_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_fits_its_schema(shipped):
    parameters = parse(shipped)
    assert parameters.national_level[-1].value == 500_000
    assert all(v.source for v in parameters.national_level + parameters.allowance_age_limit)


def _refused(document) -> ParametersInvalid:
    with pytest.raises(ParametersInvalid) as refused:
        parse(document)
    assert isinstance(refused.value, LedgerError)
    return refused.value


def test_a_key_no_code_reads_is_refused(shipped):
    document = copy.deepcopy(shipped)
    document["godmother"]["min_term_months"] = 12
    problem = _refused(document)
    assert ("godmother.min_term_months", "Extra inputs are not permitted") in problem.problems


def test_a_value_without_its_source_is_refused(shipped):
    document = copy.deepcopy(shipped)
    del document["standard_level_vnd"]["national"][0]["source"]
    document["child_allowance"]["age_limit"][0]["source"] = ""
    places = [where for where, _ in _refused(document).problems]
    assert places == ["standard_level_vnd.national.0.source", "child_allowance.age_limit.0.source"]


def test_a_value_without_its_start_or_ending_before_it_starts_is_refused(shipped):
    document = copy.deepcopy(shipped)
    del document["godmother"]["age_limit"][0]["from"]
    document["standard_level_vnd"]["provincial"]["ha-noi"][0]["to"] = date(2025, 1, 1)
    problems = _refused(document).problems
    assert ("godmother.age_limit.0.from", "Field required") in problems
    assert any(
        where == "standard_level_vnd.provincial.ha-noi.0" and "before 'from'" in what for where, what in problems
    )


def test_a_stop_rule_the_code_does_not_apply_is_refused(shipped):
    document = copy.deepcopy(shipped)
    document["child_allowance"]["stop_rule"] = "month_of_event"
    assert [where for where, _ in _refused(document).problems] == ["child_allowance.stop_rule"]
