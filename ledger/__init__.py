"""Godmother's domain core: a double-entry ledger for money held on behalf of children.

Nothing here imports a web framework, a CLI or a scheduler: adapters (``api``, ``cli``,
``jobs``) call these functions with a database session and shape the output.
"""
