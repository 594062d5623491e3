"""``godmother keys``: a test CA and branch certificates for trying signed statements (test only)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import engine, fail, friendly
from ledger.accounts import get_branch
from ledger.signing.testca import TrialCA, create_test_ca, issue_branch_key

keys_app = typer.Typer(help="Signing keys for statements: a TEST-ONLY CA for trying it out.", no_args_is_help=True)


@keys_app.command("create-test-ca")
@friendly
def create_test_ca_command(
    folder: Annotated[Path, typer.Argument(help="a new folder for the CA and the branches' keys")],
    branch: Annotated[list[str], typer.Option("--branch", help="a branch to give a signing key (repeat)")] = [],  # noqa: B006
) -> None:
    """A local CA (TEST ONLY: never for real statements) and a PKCS#12 signing key per branch."""
    if (folder / "ca.pem").exists():
        raise fail(f"{folder} already holds a CA; give a new folder (or `keys issue-test` for another key)")
    password = os.environ.get("SIGNING_KEY_PASSWORD") or secrets.token_urlsafe(12)
    ca = create_test_ca(folder)
    typer.echo(f"TEST ONLY: a test CA in {folder} (ca.pem, ca.crl); trust it with TRUST_ROOTS={ca.certificate}")
    _issue(ca, branch, password, 1)
    if "SIGNING_KEY_PASSWORD" not in os.environ:
        typer.echo(f"the keys' password (give it as SIGNING_KEY_PASSWORD; it is not kept): {password}")


@keys_app.command("issue-test")
@friendly
def issue_test_command(
    folder: Annotated[Path, typer.Argument(help="the test CA's folder")],
    branch: Annotated[list[str], typer.Option("--branch", help="a branch to give a new signing key (repeat)")],
    serial: Annotated[int, typer.Option(help="the key's number, for rotating (2, 3, …)")] = 2,
) -> None:
    """Another key from the test CA (to rotate: set it as the branch's signing-key)."""
    password = os.environ.get("SIGNING_KEY_PASSWORD")
    if not password:
        raise fail("give the keys' password in SIGNING_KEY_PASSWORD")
    _issue(TrialCA(folder), branch, password, serial)


def _issue(ca: TrialCA, branches: list[str], password: str, serial: int) -> None:
    with Session(engine()) as session:
        named = [(code, get_branch(session, code).name) for code in branches]
    for code, name in named:
        path = issue_branch_key(ca, branch=code, name=name, password=password, serial=serial)
        typer.echo(f"  {code}: {path}  (godmother branch set {code} signing-key {path.resolve()})")
