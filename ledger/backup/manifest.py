"""What a copy says about itself: when, from which engine and schema, and the ledger it holds."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from ledger.backup.fingerprint import Fingerprint

FORMAT = "godmother-backup/1"
SUFFIX = ".gmbak"
MANIFEST_SUFFIX = ".manifest.json"
PARTIAL = ".partial"


def product_version() -> str:
    try:
        return metadata.version("godmother")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class Member:
    """One file inside the copy."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    engine: str  # "sqlite" or "postgresql"
    schema_revision: str
    taken_at: datetime
    taken_by: str
    ledger: Fingerprint
    database: Member
    pg_schema: str | None = None  # the PostgreSQL schema the ledger lives in
    product_version: str = field(default_factory=product_version)
    format: str = FORMAT
    copy: Member | None = None  # the whole file: only in the manifest beside it

    def file_name(self) -> str:
        """``godmother-<top branches>-<UTC time>-<seq>-<hash>.gmbak``: sorted by time in a listing."""
        tree = "+".join(self.ledger.top_branches) or "empty"
        tree = re.sub(r"[^A-Za-z0-9+_-]", "_", tree)[:60]
        head = f"{self.ledger.chain_seq}-{self.ledger.chain_hash[:12]}"
        return f"godmother-{tree}-{self.taken_at.astimezone(UTC):%Y%m%d-%H%M%S}-{head}{SUFFIX}"

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        data["taken_at"] = self.taken_at.astimezone(UTC).isoformat()
        data["ledger"] = self.ledger.as_json()
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"not a godmother backup manifest (format {data.get('format')!r})")
        copy = data.pop("copy", None)
        return cls(
            **{
                **data,
                "taken_at": datetime.fromisoformat(data["taken_at"]),
                "ledger": Fingerprint.from_json(data["ledger"]),
                "database": Member(**data["database"]),
                "copy": Member(**copy) if copy else None,
            }
        )
