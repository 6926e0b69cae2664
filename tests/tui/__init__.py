"""The full-screen app suites (a package, so its conftest does not shadow the root one)."""
