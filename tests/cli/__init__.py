"""The `reserver` command-line suites (a package, so its conftest does not shadow the root one)."""
