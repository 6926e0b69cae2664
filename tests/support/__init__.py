"""Helpers the test suites share, one module per concept; conftest.py files hold only fixtures.

Importable as `support`: pytest's default `prepend` import mode puts tests/ (the
folder of the root conftest.py, which is no package) on sys.path, and processes
spawned by `multiprocessing` inherit that path.
"""
