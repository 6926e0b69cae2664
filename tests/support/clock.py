"""The one frozen "now" of every test suite."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Tuesday 1 December 2026, 09:00 UTC: 10:00 in Berlin."""
