"""Parts of a run that share no fund, so that processes can decide them apart.

A decision draws on one fund: a Godmother claim on the child's own, a program's claim on the
program fund of the nearest branch, from the child's own upward, that has received a budget for
the program (``administering_branch``, which the planner uses too). Two branches whose children
can draw on one fund are in one part; branches that share none can be planned apart and the
decisions are those of one plan over them all. No fund pays across provinces, so a part never
crosses one; a province's communes funded each on their own are parts of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.disbursement.facts import SharedFacts
from ledger.eligibility.policy import BranchPolicies
from ledger.ground.programs import GODMOTHER
from ledger.register.models import BudgetReceipt, Child

PART_CHILDREN = 20_000
"""Children a part gathers at least before the next begins: small enough that two processes share a
large province, large enough that a part's few queries cost little beside its deciding."""


def funded(session: Session) -> set[tuple[int, str]]:
    """The (branch id, program) pairs that ever received a budget."""
    rows = session.execute(select(BudgetReceipt.branch_id, BudgetReceipt.program).distinct())
    return {(branch_id, program) for branch_id, program in rows}


def administering_branch(
    policies: BranchPolicies, funded: Collection[tuple[int, str]], branch_id: int, program: str
) -> str:
    """The nearest branch, from ``branch_id`` upward, that received a budget for ``program``
    (the branch itself where none did)."""
    line = policies.line(branch_id)
    return next((code for code in line if (policies.id_of(code), program) in funded), line[0])


def independent_parts(
    session: Session, shared: SharedFacts, branch_ids: set[int] | None, programs: Collection[str], size: int
) -> list[tuple[str, set[int]]]:
    """The branches of ``branch_ids`` (every branch by default) in parts that share no fund, each
    named by its province: branches that share a fund are gathered, then gathered further within
    their province, in branch-code order, until a part has at least ``size`` children. The largest
    parts come first (a process that takes them first leaves the small ones to even out the end)."""
    policies = shared.policies
    scope = set(branch_ids) if branch_ids is not None else set(shared.branches)
    children = _children_by_branch(session, branch_ids)
    by_province: dict[str, list[set[int]]] = defaultdict(list)
    for group in _sharing_funds(policies, funded(session), scope, programs):
        by_province[policies.line(min(group))[-1]].append(group)
    parts: list[tuple[int, str, set[int]]] = []
    for province, groups in sorted(by_province.items()):
        gathered: set[int] = set()
        count = 0
        for group in sorted(groups, key=lambda g: min(policies.code_of(b) for b in g)):
            gathered |= group
            count += sum(children.get(b, 0) for b in group)
            if count >= size:
                parts.append((count, province, gathered))
                gathered, count = set(), 0
        if gathered:
            parts.append((count, province, gathered))
    parts.sort(key=lambda part: (-part[0], part[1], min(part[2])))
    return [(province, ids) for _, province, ids in parts]


def _sharing_funds(
    policies: BranchPolicies, budgets: set[tuple[int, str]], scope: set[int], programs: Collection[str]
) -> list[set[int]]:
    """The branches of ``scope`` grouped so that no two groups draw on one fund: each branch joined
    (union-find) to the branch whose program fund its children draw on, for every program."""
    parent = {branch_id: branch_id for branch_id in scope}

    def root(branch_id: int) -> int:
        while parent[branch_id] != branch_id:
            parent[branch_id] = parent[parent[branch_id]]
            branch_id = parent[branch_id]
        return branch_id

    for branch_id in scope:
        for program in programs:
            if program != GODMOTHER:  # a Godmother claim draws on the child's own fund
                fund_branch = policies.id_of(administering_branch(policies, budgets, branch_id, program))
                parent.setdefault(fund_branch, fund_branch)
                parent[root(branch_id)] = root(fund_branch)
    groups: dict[int, set[int]] = defaultdict(set)
    for branch_id in scope:
        groups[root(branch_id)].add(branch_id)
    return list(groups.values())


def _children_by_branch(session: Session, branch_ids: set[int] | None) -> dict[int, int]:
    counted = select(Child.branch_id, func.count()).group_by(col(Child.branch_id))
    if branch_ids is not None:
        counted = counted.where(col(Child.branch_id).in_(sorted(branch_ids)))
    return {branch_id: count for branch_id, count in session.execute(counted)}
