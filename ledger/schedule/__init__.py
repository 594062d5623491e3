"""Work that runs by itself on a timetable: what is due, when, for which branch, and a record of
every execution that makes each (job, period) happen exactly once.

``timetable`` reads a branch's schedule (its settings) and says when a job is due, in Vietnam
time whatever the server's zone; ``executions`` claims a (job, period) in the database, so that
two workers sharing it never both run it, records the outcome and retries failures with
backoff; ``sweep`` writes the notices treasurers read. The scheduler itself (APScheduler) and
the jobs' work live in the ``jobs`` package, outside the domain core.
"""
