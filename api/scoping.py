"""The doors' one import for finding things by code for the signed-in user.

Every lookup is the domain's (``ledger.access.rights``; an account's balance, the API's hot path,
is ``ledger.balances.account_in_sight``, run on the driver directly): a door never decides a right.
"""

from __future__ import annotations

from ledger.access.rights import (
    bank_account,
    branch,
    child,
    pledge,
    sponsor,
    writable_bank_account,
    writable_branch,
    writable_child,
    writable_pledge,
    writable_sponsor,
)
from ledger.balances import FoundAccount
from ledger.balances import account_in_sight as account

__all__ = [
    "FoundAccount",
    "account",
    "bank_account",
    "branch",
    "child",
    "pledge",
    "sponsor",
    "writable_bank_account",
    "writable_branch",
    "writable_child",
    "writable_pledge",
    "writable_sponsor",
]
