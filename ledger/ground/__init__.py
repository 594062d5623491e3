"""The ground floor: what every part of the ledger stands on and that stands on nothing of it.

- ``columns``: the shared table conventions (constraint names, UTC timestamps, a model's table);
- ``programs``: the programs' codes and the age and status-date arithmetic of the month convention.

``ledger.months`` and ``ledger.money`` are on this floor too. Nothing here imports another part
of ``ledger``; ``tests/test_architecture.py`` keeps it so.
"""
