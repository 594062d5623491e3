"""Bank reconciliation: the bank's record of an account set beside the ledger's, line by line.

Statements are imported (``formats`` reads the banks' exports, ``importing`` keeps each line
once), matched to the ledger's transactions on that account (``matching``, automatic;
``manual``, by a treasurer with a reason), and ``report`` explains, per account and month, the
difference between the bank's closing balance and the ledger's, to the last đồng.
"""
