"""PDF statements: Jinja2 HTML templates rendered by WeasyPrint (an adapter around ``ledger.statements``).

``render_pdf(document, lang)`` turns a statement document into PDF bytes; the document rides
along inside the PDF as an attachment, so ``verify`` can read back exactly what was issued.
Templates see only the document: every variable is escaped, and WeasyPrint may fetch nothing
but this package's own stylesheet.
"""

from pdf_templates.render import ATTACHMENT, render_html, render_pdf

__all__ = ["ATTACHMENT", "render_html", "render_pdf"]
