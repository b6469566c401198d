"""`flask jobs-worker`'s options, through the real command line."""
from __future__ import annotations

import subprocess

import pytest

from tests.servers import ROOT, VENV_BIN, server_environment


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_workers_below_one_are_refused_in_one_line(tmp_path, workers):
    """No consumer with no threads, nor a silent fall back to JOBS_WORKERS: click's usage error, exit 2."""
    result = subprocess.run([str(VENV_BIN / "flask"), "jobs-worker", "--workers", workers], cwd=ROOT,
                            env=server_environment(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--workers': {workers} is not in the range x>=1.")
    assert "Traceback" not in result.stderr
