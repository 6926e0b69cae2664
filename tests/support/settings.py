"""The settings tests run with."""

from __future__ import annotations

from reserver_core.settings import Settings


def fast_settings(**overrides: object) -> Settings:
    """Settings for tests: bcrypt at its lowest cost, everything else default."""
    return Settings(bcrypt_rounds=4, **overrides)  # type: ignore[arg-type]
