"""Who may do what: users and their roles over branch subtrees, sign-in tokens, and the
append-only audit log (every write, and every read of a child's full record)."""
