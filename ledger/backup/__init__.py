"""Backups that prove themselves: a copy of the whole database, its manifest, and the checks.

A copy is one file (``.gmbak``: a tar holding ``manifest.json`` and the database, SQLite's
file compressed or PostgreSQL's custom-format dump) and, beside it, the same manifest with the
file's own size and SHA-256. The manifest ties the copy to the ledger's proof of integrity:
the chain head (``seq`` and hash) and a digest of the trial balance, read from the very state
the copy holds. A copy is *whole* when its bytes match the manifest, it restores, ``verify``
finds nothing wrong, and the restored chain head and trial balance are those of the manifest.

- ``fingerprint``: the chain head and trial-balance digest of a database;
- ``manifest``: what a copy says about itself, and its file name;
- ``engines``: copying and loading SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore);
- ``take``: taking a copy, verifying it, keeping the last N;
- ``check``: verifying a copy and restoring it;
- ``status``: the record of copies taken, and the notice when the last good one is too old.
"""
