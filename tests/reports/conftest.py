"""Report tests: the hand-computed cases (tests/reports/cases.py)."""

import pytest

from tests.reports.cases import fidelity_case


@pytest.fixture
def fidelity(world):
    return fidelity_case(world)
