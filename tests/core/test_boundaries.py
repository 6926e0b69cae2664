"""The core stays free of front-end frameworks; the CLI starts without heavy imports."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN_IN_CORE = (
    "textual",
    "typer",
    "fastapi",
    "starlette",
    "uvicorn",
    "reserver_cli",
    "reserver_tui",
    "server",
)


def loaded_modules(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in output.split()}


def test_core_imports_no_front_end() -> None:
    modules = loaded_modules(
        "import reserver_core.local, reserver_core.backend, reserver_core.schemas"
    )
    assert not modules & set(FORBIDDEN_IN_CORE)


def test_the_app_and_the_server_do_not_import_each_other() -> None:
    app_modules = loaded_modules("import reserver_tui.app")
    server_modules = loaded_modules("import server.app")
    assert not app_modules & {"server", "fastapi", "starlette", "uvicorn", "reserver_cli"}
    assert not server_modules & {"reserver_tui", "textual", "reserver_cli"}


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    prepare = (
        "from reserver_core.db import Database\n"
        "from reserver_core.settings import Settings\n"
        f"Database.open({url!r}, Settings()).close()"
    )
    subprocess.run([sys.executable, "-c", prepare], check=True)
    assert "alembic" not in loaded_modules(prepare)


def test_import_contracts_hold() -> None:
    result = subprocess.run(["lint-imports"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
