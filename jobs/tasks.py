"""The work of each scheduled job, given its branch and period; each returns counts for the record.

Every task is safe to run again for the same period: the monthly run pays nothing twice, stored
statements and reminders are unique per sponsor and period, notices per subject and day. So a
retry after a failure halfway finishes the work instead of doubling it.
"""

from __future__ import annotations

import functools
import io
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import segno
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from jobs.mail import Attachment, Mailer
from ledger.access.actor import Actor
from ledger.accounts import get_branch
from ledger.backup.take import default_folder, take_backup
from ledger.checkpoints import verify_fully
from ledger.db import reading, run_in_transaction
from ledger.disbursement.run import run_month
from ledger.money import format_vnd
from ledger.months import Month, today_in_vietnam
from ledger.people.sponsor import owing_and_reminded
from ledger.references import payment_reference
from ledger.register.models import Sponsor
from ledger.schedule.models import ArrearsReminder, StoredStatement
from ledger.schedule.plans import JobSpec
from ledger.schedule.sweep import sweep
from ledger.settings import Settings
from ledger.signing.keys import SigningKeys
from ledger.statements.document import Period, StatementRequest, verification_code
from ledger.statements.issue import record_issue
from ledger.statements.sponsor import nearest_bank_account, paying_in_accounts, sponsor_statements
from ledger.vietqr import PaymentRequest, payload
from pdf_templates.batch import Job, render_all

BY = "scheduler"
SCHEDULER = Actor.local_administrator(BY, door="job")


def monthly_run(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    result = run_month(engine, Month.parse(period), actor=SCHEDULER, branch=spec.branch)
    summary = result.summary
    return {
        "status": result.status,
        "run": result.run_id,
        "children_paid": summary.children_paid,
        "paid_total": summary.paid_total,
        "shortfalls": summary.shortfalls,
    }


def eligibility_sweep(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    return run_in_transaction(engine, lambda s: sweep(s, branch=spec.branch, today=date.fromisoformat(period)))


def sponsor_statements_job(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    """Every sponsor of the branch: the month's statement, stored once, e-mailed once where possible."""
    month = Month.parse(period)
    with Session(reading(engine)) as session:
        branch = get_branch(session, spec.branch)
        mine = select(Sponsor.code).where(col(Sponsor.branch_id) == branch.id)
        done = set(
            session.scalars(
                select(StoredStatement.subject).where(
                    col(StoredStatement.kind) == "sponsor",
                    col(StoredStatement.period) == period,
                    col(StoredStatement.subject).in_(mine),
                )
            )
        )
        issued = sponsor_statements(
            session,
            period=Period.month(month),
            issued_on=today_in_vietnam(),
            branch_ids=[branch.id],
        )
        documents = [d for d in issued if d["request"]["subject"] not in done]
        keys = SigningKeys(session)
        signing = {d["request"]["subject"]: keys(d["branch"]["code"]) for d in documents}
        emails = dict(
            session.execute(select(Sponsor.code, Sponsor.email).where(col(Sponsor.branch_id) == branch.id)).all()
        )
    with tempfile.TemporaryDirectory() as folder:
        jobs = [
            Job(
                d,
                d["body"]["sponsor"]["language"],
                Path(folder) / StatementRequest.from_json(d["request"]).filename,
                signing[d["request"]["subject"]],
            )
            for d in documents
        ]
        render_all(jobs)
        now = datetime.now(UTC)
        rows = [
            StoredStatement(
                kind="sponsor",
                subject=job.document["request"]["subject"],
                period=period,
                lang=job.lang,
                code=verification_code(job.document),
                filename=job.path.name,
                pdf=job.path.read_bytes(),
                created_at=now,
            )  # fmt: skip
            for job in jobs
        ]
    issued_now = [(StatementRequest.from_json(job.document["request"]), job.document, job.key) for job in jobs]

    def store(session: Session) -> None:
        session.add_all(rows)
        for request, document, key in issued_now:  # each issue in the audit log, like one issued by hand
            record_issue(session, actor=SCHEDULER, request=request, document=document, key=key)

    run_in_transaction(engine, store)
    emailed = _email_statements(engine, period, emails, mailer)
    return {"statements": len(rows), "already_stored": len(done), "emailed": emailed}


def _email_statements(engine: Engine, period: str, emails: dict[str, str], mailer: Mailer | None) -> int:
    if mailer is None:
        return 0
    with Session(engine) as session:
        waiting = list(
            session.scalars(
                select(StoredStatement).where(
                    col(StoredStatement.kind) == "sponsor",
                    col(StoredStatement.period) == period,
                    col(StoredStatement.emailed_at).is_(None),
                    col(StoredStatement.subject).in_([code for code, email in emails.items() if email]),
                )
            )
        )
    sent = 0
    for stored in waiting:
        vi = stored.lang == "vi"
        month = Month.parse(period)
        mailer.send(
            emails[stored.subject],
            f"Sao kê tháng {month.month:02d}/{month.year}" if vi else f"Your statement for {month}",
            (
                f"Kính gửi quý nhà tài trợ {stored.subject},\n\nHội gửi sao kê tháng {month.month:02d}/{month.year} "
                f"(mã xác minh {stored.code}) kèm theo, có mã VietQR để nộp kỳ tới.\n\nXin cảm ơn."
                if vi
                else f"Dear sponsor {stored.subject},\n\nYour statement for {month} is attached (verification code "
                f"{stored.code}), with a VietQR code for the next instalment.\n\nThank you."
            ),
            (Attachment(stored.filename, stored.pdf, "application", "pdf"),),
        )
        stamp = datetime.now(UTC)
        emailed = (
            update(StoredStatement)
            .where(col(StoredStatement.id) == stored.id)
            .values(emailed_to=emails[stored.subject], emailed_at=stamp)
        )
        run_in_transaction(
            engine,
            functools.partial(Session.execute, statement=emailed),
        )
        sent += 1
    return sent


def arrears_reminders(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    """Sponsors of the branch who owe something up to this month: a reminder with their VietQR code."""
    month = Month.of(today_in_vietnam())
    with Session(reading(engine)) as session:
        branch = get_branch(session, spec.branch)
        owing = owing_and_reminded(session, branch.id, through=month)
        branches, accounts = paying_in_accounts(session, {sponsor.branch_id for sponsor, _ in owing})
        already = set(session.scalars(select(ArrearsReminder.sponsor_id).where(col(ArrearsReminder.week) == period)))
    sent = skipped = 0
    for sponsor, owed in owing:
        if sponsor.id in already:
            continue
        reference = payment_reference(sponsor.code, month)
        account = nearest_bank_account(branches, accounts, sponsor.branch_id)
        to = sponsor.email if mailer is not None and sponsor.email else ""
        if to and mailer is not None:
            attachments: tuple[Attachment, ...] = ()
            if account is not None:
                code = payload(PaymentRequest(account.bank_bin, account.account_number, owed, purpose=reference))
                png = io.BytesIO()
                segno.make(code, error="m").save(png, kind="png", scale=6)
                attachments = (Attachment("vietqr.png", png.getvalue(), "image", "png"),)
            vi = sponsor.language == "vi"
            mailer.send(
                to,
                "Nhắc nộp tiền đỡ đầu" if vi else "A reminder of your pledge",
                (
                    f"Kính gửi {sponsor.name},\n\nSố tiền đỡ đầu còn nợ đến tháng {month.month:02d}/{month.year} là "
                    f"{format_vnd(owed)}. Xin chuyển khoản với nội dung {reference} (mã VietQR kèm theo)."
                    "\n\nXin cảm ơn."
                    if vi
                    else f"Dear {sponsor.name},\n\nYour pledges are {format_vnd(owed, 'en')} in arrears up to {month}. "
                    f"Please transfer with the reference {reference} (VietQR code attached).\n\nThank you."
                ),
                attachments,
            )
            sent += 1
        else:
            skipped += 1
        reminder = ArrearsReminder(
            sponsor_id=sponsor.id,
            week=period,
            amount=owed,
            reference=reference,
            emailed_to=to,
            sent_at=datetime.now(UTC),
        )
        run_in_transaction(engine, functools.partial(Session.add, instance=reminder))
    reminded = len(already & {sponsor.id for sponsor, _ in owing})
    return {"in_arrears": len(owing), "emailed": sent, "no_email": skipped, "already_reminded": reminded}


def backup(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    """The day's copy of the database, proved whole, into the backup folder (and the second one)."""
    settings = Settings()
    url = engine.url.render_as_string(hide_password=False)
    taken = take_backup(
        engine,
        folder=Path(settings.backup_dir) if settings.backup_dir else default_folder(url),
        keep=settings.backup_keep,
        also_to=Path(settings.backup_copy_to) if settings.backup_copy_to else None,
        actor=SCHEDULER,
    )
    return {
        "copy": taken.path.name,
        "bytes": taken.manifest.copy.size if taken.manifest.copy else 0,
        "chain_seq": taken.manifest.ledger.chain_seq,
        "removed": len(taken.removed),
        "second_copy": str(taken.second_copy) if taken.second_copy else "",
    }


class LedgerDamaged(Exception):
    """The nightly verification found the ledger changed: the job fails, is retried, then becomes a notice."""


def ledger_check(engine: Engine, spec: JobSpec, period: str, mailer: Mailer | None) -> dict[str, Any]:
    """The whole ledger verified from the genesis; a pass leaves the checkpoint the pages verify from."""
    verified = run_in_transaction(engine, lambda session: verify_fully(session, by=BY))
    report = verified.report
    if not report.ok:
        first = report.first_bad
        raise LedgerDamaged(f"{len(report.problems)} problem(s); first: {first.message if first else '?'}")
    return {"transactions": report.transactions, "through": verified.through}


TASKS = {
    "monthly-run": monthly_run,
    "sponsor-statements": sponsor_statements_job,
    "arrears-reminders": arrears_reminders,
    "eligibility-sweep": eligibility_sweep,
    "backup": backup,
    "ledger-check": ledger_check,
}
