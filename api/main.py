"""The application as uvicorn starts it: ``uvicorn --factory api.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from ledger import db
from ledger.settings import Settings


def app() -> FastAPI:
    settings = Settings()
    engine = db.make_engine(settings.database_url, **settings.pool_options())
    db.ensure_schema(engine)
    replica = (
        db.make_engine(settings.database_replica_url, **settings.pool_options())
        if settings.database_replica_url
        else None
    )
    return create_app(engine, replica)
