"""The catalogues compiled once per session, as scripts/bootstrap does (.mo files are not committed)."""
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    subprocess.run([str(ROOT / "scripts" / "translations"), "compile"], check=True, cwd=ROOT)
