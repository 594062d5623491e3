"""Consent withdrawal: a child's personal data is anonymised, the money history stays.

Decree 13/2023/NĐ-CP and, from 2026-01-01, Law 91/2025/QH15 require deleting or anonymising
a child's data when consent is withdrawn. The ledger must still prove where every đồng went,
so the child's code, fund and payable accounts, decisions and disbursements stay; what could
identify the child or the guardian (names, phone, ID number, bank account, health card) is
cleared. The date of birth stays: every past decision turns on the child's age, and
``run-month --check`` must keep re-deriving them; it is never shown to sponsors.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.errors import LedgerError
from ledger.register.models import Child

ANONYMISED_NAME = "(ẩn danh)"


class ConsentAlreadyWithdrawn(LedgerError):
    def __init__(self, code: str, on: date) -> None:
        self.code, self.on = code, on
        super().__init__(f"consent for child {code!r} was already withdrawn on {on:%d/%m/%Y}")


def withdraw_consent(session: Session, *, child: str, on: date, actor: Actor, reason: str = "") -> Child:
    """Anonymise the child's personal fields as of ``on``; money and decisions are kept."""
    record = rights.writable_child(session, actor, child)
    if record.consent_withdrawn_on is not None:
        raise ConsentAlreadyWithdrawn(child, record.consent_withdrawn_on)
    record.full_name = ANONYMISED_NAME
    record.guardian_name = ANONYMISED_NAME
    record.guardian_relation = ""
    record.guardian_phone = ""
    record.guardian_id_number = ""
    record.guardian_bank = ""
    record.health_card_valid_until = None
    record.consent_withdrawn_on = on
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="consent.withdraw",
        subject=f"child:{child}",
        branch_id=record.branch_id,
        detail={"on": on.isoformat(), "reason": reason},
    )
    return record
