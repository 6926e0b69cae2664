"""The README's pictures are what `python bench/readme_pictures.py docs/` makes today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_the_readme_opens_with_current_pictures_of_the_app(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before_setup = readme.split("```sh", 1)[0]
    assert "](docs/home.svg)" in before_setup and "](docs/week.svg)" in before_setup
    assert "python bench/readme_pictures.py docs/" in before_setup
    made = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "readme_pictures.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert made.returncode == 0, made.stderr
    for name in ("home.svg", "week.svg"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        assert fresh == (ROOT / "docs" / name).read_text(encoding="utf-8"), (
            f"docs/{name} is out of date: python bench/readme_pictures.py docs/"
        )
    assert "Aurora meeting room" in (tmp_path / "week.svg").read_text(encoding="utf-8").replace(
        "&#160;", " "
    )
