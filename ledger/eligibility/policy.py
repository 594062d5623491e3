"""Branch policy for the Godmother program (age limit, categories), inherited down the branch tree.

A branch without a policy of its own follows the nearest branch above it that has one, else the
defaults of the parameters file; each value is dated like the law.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from ledger.eligibility import decide
from ledger.eligibility.parameters import in_force, load
from ledger.models import Branch
from ledger.months import Month


class ChildFacts(Protocol):
    """What a policy and a pledge's schedule read of a child: a register row or a run's lighter one."""

    @property
    def date_of_birth(self) -> date: ...
    @property
    def branch_id(self) -> int: ...


class BranchPolicies:
    """Policies of many branches and months, looked up once each (a run asks for thousands)."""

    def __init__(self, session: Session) -> None:
        # Three plain columns, not Branch objects: a nation has some ten thousand branches.
        self._parents = {
            i: (code, parent) for i, code, parent in session.execute(select(Branch.id, Branch.code, Branch.parent_id))
        }
        self._lines: dict[int, list[str]] = {}
        self._policies: dict[tuple[int, Month], decide.BranchPolicy] = {}
        self._age_limits: dict[tuple[int, Month], int] = {}
        self._ids: dict[str, int] = {}

    def code_of(self, branch_id: int) -> str:
        code: str = self._parents[branch_id][0]
        return code

    def id_of(self, code: str) -> int:
        if not self._ids:
            self._ids = {code: i for i, (code, _) in self._parents.items()}
        return self._ids[code]

    def line(self, branch_id: int) -> list[str]:
        """The branch's code, then those above it, nearest first."""
        if branch_id not in self._lines:
            line: list[str] = []
            current: int | None = branch_id
            while current is not None and current in self._parents and self._parents[current][0] not in line:
                code, current = self._parents[current]
                line.append(code)
            self._lines[branch_id] = line
        return self._lines[branch_id]

    def godmother(self, branch_id: int, month: Month) -> decide.BranchPolicy:
        key = (branch_id, month)
        if key not in self._policies:
            age, categories = load().branch_policy(self.line(branch_id), month.first_day)
            sources = "; ".join(dict.fromkeys(v.source for v in (age, categories) if v and v.source))
            self._policies[key] = decide.BranchPolicy(
                age.value if age else None, categories.value if categories else None, sources or "branch policy"
            )
        return self._policies[key]

    def age_limit(self, child: ChildFacts, month: Month) -> int:
        """The Godmother age limit for ``child`` in ``month``: its branch's, else the default in force."""
        key = (child.branch_id, month)
        if key not in self._age_limits:
            own = self.godmother(child.branch_id, month).godmother_age_limit
            self._age_limits[key] = (
                own
                if own is not None
                else in_force(load().godmother_age_limit, month.first_day, "Godmother age limit").value
            )
        return self._age_limits[key]
