"""The doors adapt; the domain decides. No module of the API, the web, the CLI or the jobs queries
the tables money lives in: every balance, allocation, payment, disbursement, handover, bank line
and match they show comes from a function in ``ledger/`` (the same for every door)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOORS = ("api", "cli", "jobs")
MONEY_TABLES = {
    "Account", "Posting", "LedgerTransaction", "Disbursement", "Allocation", "Payment", "BudgetReceipt",
    "Handover", "RunDecision", "ShortfallSettlement", "BankLine", "BankStatement", "Match", "MatchLine",
    "MatchEntry",
}  # fmt: skip


def _names(node: ast.AST) -> set[str]:
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return found | {
        n.value.id for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }


def queries_of_money(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(root)
    problems = []
    for node in ast.walk(tree):
        imports_func = isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy"
        if imports_func and any(alias.name == "func" for alias in node.names):  # type: ignore[attr-defined]
            problems.append(f"{where}:{node.lineno}: imports func (a figure computed in a door)")  # type: ignore[attr-defined]
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in ("select", "get", "exists", "update", "insert", "delete"):
            touched = set().union(*(_names(arg) for arg in node.args)) & MONEY_TABLES if node.args else set()
            if touched:
                problems.append(f"{where}:{node.lineno}: {name}() over {', '.join(sorted(touched))}")
    return problems


def test_no_door_queries_the_tables_money_lives_in():
    problems = [p for door in DOORS for path in sorted((ROOT / door).rglob("*.py")) for p in queries_of_money(path)]
    assert problems == []


def test_the_rule_sees_a_door_that_would(tmp_path):
    sneaky = tmp_path / "route.py"
    sneaky.write_text(
        "from sqlalchemy import func, select\n"
        "def total(db):\n"
        "    return db.scalar(select(func.sum(Posting.amount)).where(Posting.account_id == 1))\n"
        "def one(db):\n"
        "    return db.get(Payment, 1)\n",
        encoding="utf-8",
    )
    assert len(queries_of_money(sneaky, tmp_path)) == 3
