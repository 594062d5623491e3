"""The web application: server-rendered pages (Jinja2) for sponsors, treasurers and auditors.

The same domain functions and the same scope as the API: a page is another adapter. A session
is the API's own token, kept in an HttpOnly, SameSite cookie; every form carries a CSRF token
derived from it, so a page on another site cannot post in the user's name.
"""
