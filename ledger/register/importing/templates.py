"""The spreadsheet a treasurer fills in for each kind of import: Vietnamese headers and an example row.

The headers are the columns' first Vietnamese names (which the importer reads back); the example row
is a real one for her own branch, so the template imports as it is once the example is replaced.
"""

from __future__ import annotations

from ledger.register.importing.rows import COLUMNS

EXAMPLES: dict[str, dict[str, str]] = {
    "sponsors": {"code": "MDD000901", "name": "Trần Thị Mai", "kind": "cá nhân", "phone": "0912345678",
                 "email": "mai@example.vn", "language": "vi"},
    "children": {"code": "C-000901", "full_name": "Nguyễn Thị Hoa", "date_of_birth": "15/03/2016", "gender": "nữ",
                 "categories": "Mồ côi cả cha và mẹ", "categories_from": "", "in_school_until": "",
                 "health_card_valid_until": "31/12/2027", "guardian_name": "Trần Thị Lan", "guardian_relation": "bà",
                 "guardian_phone": "0912000111", "guardian_id_number": "031185001234", "guardian_bank": "",
                 "consent_guardian_on": "01/09/2026", "consent_child_on": "01/09/2026"},
    "pledges": {"code": "CK000901", "sponsor": "MDD000901", "child": "C-000901", "monthly_amount": "500.000",
                "start_month": "01/2027", "end_month": "", "frequency": "hàng tháng"},
    "payments": {"date": "05/01/2027", "sponsor": "MDD000901", "pledge": "", "amount": "500.000",
                 "method": "chuyển khoản", "bank_account": "", "reference": "MDD000901T0127", "payer": ""},
    "enrolments": {"child": "C-000901", "program": "social-allowance", "decision_number": "123/QĐ-UBND",
                   "decision_date": "01/09/2026", "end_date": ""},
    "budget": {"date": "05/01/2027", "program": "social-allowance", "amount": "10.000.000", "method": "chuyển khoản",
               "bank_account": "", "reference": "NSNN T01/2027"},
    "bank-accounts": {"code": "TK-001", "bank_bin": "970405", "account_number": "1500205123456",
                      "account_name": "HOI LHPN XA"},
    "branches": {"code": "chi-hoi-moi", "name": "Chi hội thôn Mới", "level": "chi hội", "province": ""},
}  # fmt: skip
BRANCH_COLUMNS = ("branch", "parent")  # filled with the treasurer's own branch


def template(kind: str, branch: str) -> tuple[list[str], list[str], list[str]]:
    """(header titles, canonical names, example row) for ``kind``, the example placed in ``branch``."""
    columns = COLUMNS[kind]
    titles = [_title(c.aliases[0] if c.aliases else c.name) for c in columns]
    names = [c.name for c in columns]
    example = EXAMPLES.get(kind, {})
    row = [branch if name in BRANCH_COLUMNS else example.get(name, "") for name in names]
    return titles, names, row


def _title(alias: str) -> str:
    return alias[:1].upper() + alias[1:]
