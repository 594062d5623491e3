"""A generated register: a province, its communes and village groups, children, sponsors, pledges.

Deterministic for a seed and a size, with Vietnamese names, in the columns of ``docs/register-files.md``.
The demo writes it out as the spreadsheets a treasurer would bring and imports them; the
benchmarks load the same rows at 100,000 children in bulk.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from ledger.months import Month

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE_F = ("Thị", "Ngọc", "Thu", "Minh", "Bảo", "Hoài", "Khánh", "Thanh", "Mỹ", "Phương")
MIDDLE_M = ("Văn", "Minh", "Đức", "Gia", "Quốc", "Hữu", "Thanh", "Bảo", "Công", "Anh")
GIVEN_F = (
    "An",
    "Chi",
    "Giang",
    "Hà",
    "Hạnh",
    "Hoa",
    "Lan",
    "Linh",
    "Mai",
    "Ngọc",
    "Nhung",
    "Quỳnh",
    "Thảo",
    "Trang",
    "Vy",
)
GIVEN_M = ("Bình", "Dũng", "Hải", "Hùng", "Khang", "Khôi", "Long", "Minh", "Nam", "Phúc", "Quang", "Sơn", "Tâm", "Tuấn")
RELATIONS = ("bà nội", "bà ngoại", "ông nội", "ông ngoại", "cô", "chú", "bác", "dì", "mẹ", "bố")
ORGANISATIONS = (
    "Công ty TNHH {}",
    "Công an xã {}",
    "Chi đoàn thanh niên {}",
    "Hội Cựu chiến binh {}",
    "Tập thể giáo viên trường tiểu học {}",
    "Ngân hàng Agribank chi nhánh {}",
)
PLACES = ("An Lão", "Tiên Lãng", "Vĩnh Bảo", "Kiến Thụy", "Thủy Nguyên", "An Dương", "Cát Hải", "Đồ Sơn")
COMMUNES = (("an-lao", "An Lão", "970436", "vcb"), ("tien-lang", "Tiên Lãng", "970418", "bidv"),
            ("vinh-bao", "Vĩnh Bảo", "970407", "tcb"))  # fmt: skip
GROUPS = ("Tân Viên", "Quang Hưng", "Bắc Hưng", "Đông Hưng", "Cấp Tiến", "Tự Cường")
CATEGORIES = (
    (40, "orphan_both"),
    (25, "orphan_one"),
    (10, "orphan_one_other_detained"),
    (8, "abandoned"),
    (7, "orphan_one_other_missing"),
    (10, "special_hardship"),
)
SOCIAL_PROTECTION = {"orphan_both", "orphan_one_other_detained", "abandoned", "orphan_one_other_missing"}
AMOUNTS = (300_000, 500_000, 500_000, 500_000, 700_000, 1_000_000)
PROVINCE = "hp"
FIRST_MONTH, TODAY = Month(2024, 11), Month(2026, 11)


@dataclass
class Register:
    """Rows per spreadsheet, each a dict keyed by the columns of ``docs/register-files.md``."""

    branches: list[dict[str, str]] = field(default_factory=list)
    bank_accounts: list[dict[str, str]] = field(default_factory=list)
    sponsors: list[dict[str, str]] = field(default_factory=list)
    children: list[dict[str, str]] = field(default_factory=list)
    pledges: list[dict[str, str]] = field(default_factory=list)
    enrolments: list[dict[str, str]] = field(default_factory=list)

    def sheets(self) -> dict[str, list[dict[str, str]]]:
        """The spreadsheets in the order they import (each refers only to those before it)."""
        return {
            "branches": self.branches,
            "bank-accounts": self.bank_accounts,
            "sponsors": self.sponsors,
            "children": self.children,
            "pledges": self.pledges,
            "enrolments": self.enrolments,
        }

    def write(self, folder: Path) -> dict[str, Path]:
        """Write each sheet as a UTF-8 CSV in ``folder``; returns the files by kind."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for kind, rows in self.sheets().items():
            path = folder / f"{kind}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.DictWriter(out, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            files[kind] = path
        return files


def person(rng: random.Random, gender: str) -> str:
    middle, given = (MIDDLE_F, GIVEN_F) if gender == "F" else (MIDDLE_M, GIVEN_M)
    return f"{rng.choice(SURNAMES)} {rng.choice(middle)} {rng.choice(given)}"


def generate(
    *,
    children: int = 300,
    sponsors: int = 250,
    first_month: Month = FIRST_MONTH,
    today: Month = TODAY,
    seed: int = 20261123,
    second_sponsor_share: float = 0.25,
    communes: int | None = None,
) -> Register:
    """A register of ``children`` children and ``sponsors`` sponsors, pledges starting from ``first_month``."""
    rng = random.Random(seed)
    register = Register()
    register.branches.append(
        {
            "code": PROVINCE,
            "name": "Hội LHPN thành phố Hải Phòng",
            "parent": "",
            "level": "province",
            "province": "hai-phong",
        }  # fmt: skip
    )
    groups: dict[str, list[str]] = {}
    communes = max(1, min(len(COMMUNES), communes or children // 100))
    for code, name, bank_bin, bank in COMMUNES[:communes]:
        commune = f"hp-{code}"
        register.branches.append(
            {"code": commune, "name": f"Hội LHPN xã {name}", "parent": PROVINCE, "level": "commune", "province": ""}
        )
        register.bank_accounts.append(
            {
                "code": f"{bank}-{commune}",
                "branch": commune,
                "bank_bin": bank_bin,
                "account_number": f"{rng.randrange(10**12, 10**13)}",
                "account_name": f"HOI LHPN XA {name.upper()}",
            }  # fmt: skip
        )
        for group in GROUPS[:2]:
            register.branches.append(
                {
                    "code": f"{commune}-{_ascii(group)}",
                    "name": f"Chi hội thôn {group}",
                    "parent": commune,
                    "level": "group",
                    "province": "",
                }  # fmt: skip
            )
            groups.setdefault(commune, []).append(f"{commune}-{_ascii(group)}")
    # Sponsors give through the commune where their children live: its bank receives the money
    # that its guardians are paid from.
    commune_codes = list(groups)
    sponsors_of: dict[str, list[str]] = {c: [] for c in commune_codes}
    weights, categories = zip(*CATEGORIES, strict=True)
    oldest_born = today.first_day.year - 17
    for n in range(1, sponsors + 1):
        commune = commune_codes[n % len(commune_codes)]
        sponsors_of[commune].append(f"MDD{n:06d}")
        organisation = rng.random() < 0.2
        gender = "F" if rng.random() < 0.8 else "M"
        name = rng.choice(ORGANISATIONS).format(rng.choice(PLACES)) if organisation else person(rng, gender)
        register.sponsors.append(
            {
                "code": f"MDD{n:06d}",
                "name": name,
                "kind": "organisation" if organisation else "individual",
                "phone": f"09{rng.randrange(10**7, 10**8)}",
                "email": "",
                "language": "en" if rng.random() < 0.1 else "vi",
                "branch": rng.choice([commune, *groups[commune]]),
            }  # fmt: skip
        )
    for n in range(1, children + 1):
        gender = rng.choice("FM")
        born_year = rng.randrange(oldest_born, today.first_day.year - 1)
        born = f"{born_year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        category = rng.choices(categories, weights)[0]
        age = today.first_day.year - born_year
        guardian_gender = "F" if rng.random() < 0.7 else "M"
        register.children.append(
            {
                "code": f"C-{n:06d}",
                "full_name": person(rng, gender),
                "date_of_birth": born,
                "gender": gender,
                "branch": rng.choice(groups[commune_codes[n % len(commune_codes)]]),
                "categories": category,
                "in_school_until": f"{born_year + 18}-05-31" if rng.random() < 0.8 else "",
                "guardian_name": person(rng, guardian_gender),
                "guardian_relation": rng.choice(RELATIONS),
                "guardian_phone": f"09{rng.randrange(10**7, 10**8)}",
                "guardian_id_number": f"0310{rng.randrange(10**8, 10**9)}",
                "guardian_bank": f"970436:{rng.randrange(10**9, 10**10)}" if rng.random() < 0.5 else "",
                "consent_guardian_on": f"{first_month.year}-{first_month.month:02d}-01",
                "consent_child_on": f"{first_month.year}-{first_month.month:02d}-01" if age >= 6 else "",
            }  # fmt: skip
        )
        if category in SOCIAL_PROTECTION and rng.random() < 0.6:
            signed = rng.randrange(0, 12)
            month = Month(
                first_month.year + (first_month.month + signed - 1) // 12, (first_month.month + signed - 1) % 12 + 1
            )
            register.enrolments.append(
                {
                    "child": f"C-{n:06d}",
                    "program": "social-allowance",
                    "decision_number": f"QĐ {100 + n}/QĐ-UBND",
                    "decision_date": f"{month.year}-{month.month:02d}-{rng.randrange(1, 28):02d}",
                    "end_date": "",
                }  # fmt: skip
            )
    pledge = 0
    for index, child in enumerate(register.children):
        sponsors_here = 1 + (rng.random() < second_sponsor_share)  # some children have two sponsors
        for _ in range(sponsors_here):
            pledge += 1
            pool = sponsors_of[commune_codes[(index + 1) % len(commune_codes)]]
            sponsor = pool[(index * 7 + pledge * 3) % len(pool)]
            start = first_month
            for _ in range(rng.randrange(0, 7)):
                start = start.next()
            end = ""
            if rng.random() < 0.15:  # a fixed term of three to five years, as in Hải Dương
                months = 12 * rng.randrange(3, 6)
                end_month = Month(start.year + (start.month + months - 2) // 12, (start.month + months - 2) % 12 + 1)
                end = str(end_month)
            register.pledges.append(
                {
                    "code": f"P-{pledge:06d}",
                    "sponsor": sponsor,
                    "child": child["code"],
                    "monthly_amount": str(rng.choice(AMOUNTS)),
                    "start_month": str(start),
                    "end_month": end,
                    "frequency": "quarterly" if rng.random() < 0.1 else "monthly",
                }  # fmt: skip
            )
    return register


def _ascii(text: str) -> str:
    from ledger.references import compact

    return compact(text).lower()
