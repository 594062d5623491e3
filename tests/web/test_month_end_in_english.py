"""The same month end, in English: every page found by the catalogue's English words (a world of its own)."""

from __future__ import annotations

import pytest

from tests.web.test_month_end import four_eyes, month_end  # noqa: F401  (the module's own four-eyes world)

pytestmark = pytest.mark.slow


def test_a_commune_treasurer_finishes_her_month_end_in_the_browser_in_english(browser, live, four_eyes, tmp_path):  # noqa: F811
    month_end(browser, live, four_eyes, tmp_path, "en")
