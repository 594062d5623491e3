"""A sponsor's own choices: the language she is written to in, her e-mail, whether she is reminded."""

from __future__ import annotations

import re

from sqlmodel import Session

from ledger.access import audit, rights
from ledger.access.actor import Actor, Forbidden
from ledger.errors import EntryRefused
from ledger.register.models import Sponsor

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_preferences(
    session: Session, actor: Actor, *, sponsor: str, language: str, email: str, reminders: bool
) -> Sponsor:
    """The sponsor herself, or a treasurer of her branch, records her choices (kept in the audit log)."""
    found = rights.sponsor(session, actor, sponsor)
    if found.id != actor.sponsor_id:
        found = rights.writable_sponsor(session, actor, sponsor)
    elif actor.sponsor_id is None:
        raise Forbidden("only the sponsor or her treasurer sets her choices")
    if language not in ("vi", "en"):
        raise EntryRefused("language-unknown", f"{language!r} is not a language we write in", field="language")
    email = email.strip()
    if email and not _EMAIL.fullmatch(email):
        raise EntryRefused("email-invalid", f"{email!r} is not an e-mail address", field="email", email=email)
    before = {"language": found.language, "email": found.email, "reminders": found.reminders}
    found.language, found.email, found.reminders = language, email, reminders
    session.add(found)
    session.flush()
    after = {"language": language, "email": email, "reminders": reminders}
    audit.record(session, actor=actor, action="sponsor.preferences", subject=f"sponsor:{found.code}",
                 branch_id=found.branch_id, detail={"before": before, "after": after})  # fmt: skip
    return found
