"""The worked register of ``test_monthly_run``, shared by the run's tests."""

from tests.disbursement.test_monthly_run import register  # noqa: F401
