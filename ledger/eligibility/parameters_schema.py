"""The shape of ``parameters.yaml``, checked when it is loaded: a file that does not fit is refused
with every problem named, before any decision is made from it.

Every value that the law or a resolution sets carries the day it is in force from (``from``, and
``to`` when it ends) and its source; a key the product does not read is an error, not a silence.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ledger.errors import InvalidEntry

Source = Annotated[str, Field(min_length=3)]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Dated(_Strict):
    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")
    source: Source

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> _Dated:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self


class DatedAmount(_Dated):
    value: Annotated[int, Field(gt=0)]


class DatedAge(_Dated):
    value: Annotated[int, Field(ge=0, le=30)]


class DatedCategory(_Dated):
    code: Code


class DatedCategories(_Dated):
    value: list[Code]


class Coefficient(_Dated):
    value: Decimal = Field(gt=0)
    age_below: int | None = None
    age_from: int | None = None


class Succession(_Dated):
    former: Code
    successor: Code


class StandardLevel(_Strict):
    national: list[DatedAmount] = Field(min_length=1)
    provincial: dict[Code, list[DatedAmount]] = {}


class AllowanceCategories(_Strict):
    national: list[DatedCategory] = Field(min_length=1)
    provincial: dict[Code, list[DatedCategory]] = {}


class ChildAllowance(_Strict):
    program: Literal["social-allowance"]
    coefficients: list[Coefficient] = Field(min_length=1)
    age_limit: list[DatedAge] = Field(min_length=1)
    study_extension_max_age: list[DatedAge] = Field(min_length=1)
    # The code applies exactly this rule (ledger.ground.programs.status_date); the file names it
    # so that a reader of the parameters sees it, and a different rule is refused, not ignored.
    stop_rule: Literal["month_following_event"]
    stop_rule_source: Source
    categories: AllowanceCategories


class AmountRange(_Dated):
    min: Annotated[int, Field(gt=0)]
    max: Annotated[int, Field(gt=0)]


class GodmotherCategories(_Dated):
    codes: list[Code] = Field(min_length=1)


class Godmother(_Strict):
    program: Literal["godmother"]
    age_limit: list[DatedAge] = Field(min_length=1)
    monthly_amount_vnd: AmountRange
    categories: GodmotherCategories


class BranchPolicy(_Strict):
    godmother_age_limit: list[DatedAge] = []
    godmother_categories: list[DatedCategories] = []


class ParametersFile(_Strict):
    version: Literal[1]
    standard_level_vnd: StandardLevel
    province_successions: list[Succession] = []
    child_allowance: ChildAllowance
    godmother: Godmother
    branch_policy: dict[Code, BranchPolicy] = {}


class ParametersInvalid(InvalidEntry):
    """The parameters file does not fit its schema: ``problems`` lists each (where, what)."""

    def __init__(self, name: str, problems: list[tuple[str, str]]) -> None:
        self.name, self.problems = name, problems
        listed = "; ".join(f"{where}: {what}" for where, what in problems[:10])
        super().__init__(f"{name} is not a valid parameters file ({len(problems)} problem(s)): {listed}")


def validated(document: Any, name: str = "parameters.yaml") -> ParametersFile:
    """The document checked against the schema; ``ParametersInvalid`` names every problem."""
    try:
        return ParametersFile.model_validate(document)
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in e["loc"]) or "(file)", e["msg"]) for e in exc.errors()]
        raise ParametersInvalid(name, problems) from None
