"""Statements people keep: what a sponsor, a guardian, a treasurer or an auditor takes away.

Each statement is first a *document*: plain JSON-able figures gathered from the ledger and
the register (``sponsor``, ``guardian``, ``treasurer``, ``audit``), in an envelope that says
what it is about, when it was issued and which chain head the ledger had then
(``document``). The PDF is only a rendering of that document (``pdf_templates``), so a
statement can be checked later: its verification code is a hash over the document, and
``issue.recompute`` gathers the same figures again from today's ledger to show what changed.

Figures are "as of the end of the period": a payment counts towards a month if it was paid
by the end of the period, a balance is the sum of postings dated up to its last day. A
statement issued today and recomputed next year gives the same figures unless someone has
since posted into the period (a late payment, a reversal), which is exactly what
verification must reveal.
"""
