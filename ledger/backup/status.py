"""Is there a recent good copy? The answer for the admin page and the to-do list, and its notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from ledger.schedule.models import BackupCopy, JobExecution
from ledger.schedule.notices import deployment_notice

TOO_OLD = timedelta(days=2)
JOB = "backup"


@dataclass(frozen=True, slots=True)
class BackupStatus:
    now: datetime
    last: BackupCopy | None
    failure: JobExecution | None  # the latest backup job that failed since the last good copy

    @property
    def stale(self) -> bool:
        return self.last is None or self.now - self.last.taken_at > TOO_OLD

    @property
    def age(self) -> timedelta | None:
        return None if self.last is None else self.now - self.last.taken_at

    def message(self, lang: str) -> str:
        vi = lang == "vi"
        if self.last is None:
            text = "Chưa có bản sao lưu nào của dữ liệu." if vi else "No backup of the data has been taken yet."
        else:
            minutes = int((self.now - self.last.taken_at).total_seconds() // 60)
            if minutes < 60:
                ago = f"{max(minutes, 1)} phút" if vi else f"{max(minutes, 1)} min"
            elif minutes < 48 * 60:
                ago = f"{minutes // 60} giờ" if vi else f"{minutes // 60} hours"
            else:
                ago = f"{minutes // 1440} ngày" if vi else f"{minutes // 1440} days"
            text = (
                f"Bản sao lưu tốt gần nhất: {self.last.file_name} ({ago} trước)."
                if vi
                else f"Last good backup: {self.last.file_name} ({ago} ago)."
            )
        if self.failure is not None:
            text += (
                f" Lần sao lưu {self.failure.period} bị lỗi: {self.failure.error[:200]}"
                if vi
                else f" The backup of {self.failure.period} failed: {self.failure.error[:200]}"
            )
        return text


def backup_status(session: Session, now: datetime | None = None) -> BackupStatus:
    now = now or datetime.now(UTC)
    last = session.scalar(select(BackupCopy).order_by(col(BackupCopy.taken_at).desc()).limit(1))
    failed = select(JobExecution).where(
        col(JobExecution.job) == JOB, col(JobExecution.status).in_(("failed", "retrying"))
    )
    if last is not None:
        failed = failed.where(col(JobExecution.started_at) > last.taken_at)
    failure = session.scalar(failed.order_by(col(JobExecution.started_at).desc()).limit(1))
    return BackupStatus(now, last, failure)


def recent_copies(session: Session, limit: int = 10) -> list[BackupCopy]:
    return list(session.scalars(select(BackupCopy).order_by(col(BackupCopy.taken_at).desc()).limit(limit)))


def notice_if_stale(session: Session, now: datetime | None = None) -> int:
    """When the last good copy is older than two days (or there is none), tell the treasurers."""
    status = backup_status(session, now)
    if not status.stale:
        return 0
    return deployment_notice(
        session, kind="backup", subject="backup", vi=status.message("vi") + " Hãy kiểm tra việc sao lưu.",
        en=status.message("en") + " Please check the backups.", now=status.now,
    )  # fmt: skip
