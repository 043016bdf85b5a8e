"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

# ../shared/data beside the repository: recorded speech, read-only (see its README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-speech folder; tests that use it are skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-speech test data not found at {SHARED_DATA}")
    return SHARED_DATA
