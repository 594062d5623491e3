"""Sending e-mail over SMTP (``SMTP_HOST`` and friends); without a host, nothing is sent."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from ledger.settings import Settings


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass(frozen=True, slots=True)
class Mailer:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Mailer | None:
        settings = settings or Settings()
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_starttls,
        )

    def send(self, to: str, subject: str, text: str, attachments: tuple[Attachment, ...] = ()) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        for item in attachments:
            message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
