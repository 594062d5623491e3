"""The cookies the web application sets, by name: one place, for the pages and the middleware alike."""

COOKIE = "godmother_session"
"""The signed-in session."""

LANG_COOKIE = "lang"
PRE_CSRF_COOKIE = "godmother_form"
"""The form token before sign-in."""

WRITTEN_COOKIE = "godmother_written"
"""Where the reader's last write ended on the primary (api/positions.py)."""
