"""PROMETHEUS_MULTIPROC_DIR naming a folder that does not exist: the real command line stops naming the
setting (docs/configuration.md), not with prometheus-client's FileNotFoundError."""
from __future__ import annotations

import subprocess

from tests.servers import ROOT, VENV_BIN, server_environment


def test_a_missing_metrics_folder_stops_the_process_naming_the_setting(tmp_path):
    missing = tmp_path / "metrics"
    env = {**server_environment(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(missing)}
    result = subprocess.run([str(VENV_BIN / "flask"), "routes"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1] == (
        f"RuntimeError: PROMETHEUS_MULTIPROC_DIR must be a folder that exists, not {str(missing)!r}")
    assert "FileNotFoundError" not in result.stderr
    assert not missing.exists()
    missing.mkdir()  # the same process with the folder made starts
    result = subprocess.run([str(VENV_BIN / "flask"), "routes"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_an_empty_metrics_folder_setting_stops_the_process_and_writes_nothing(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR= (set, empty): prometheus-client counts it as set and wrote its .db files into
    the current folder. It is refused as a missing folder is."""
    here = tmp_path / "here"
    here.mkdir()
    env = {**server_environment(tmp_path), "PROMETHEUS_MULTIPROC_DIR": "", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(VENV_BIN / "python"), "-c", "import ops.metrics as m; m.MESSAGES_STORED.inc()"],
                            cwd=here, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1] == (
        "RuntimeError: PROMETHEUS_MULTIPROC_DIR must be a folder that exists, not ''")
    assert list(here.iterdir()) == []


def test_the_lower_case_spelling_prometheus_client_still_reads_is_checked_too(tmp_path):
    """prometheus-client still reads the old spelling `prometheus_multiproc_dir` (deprecated) when the upper case
    one is not set: empty, it wrote its .db files into the current folder as PROMETHEUS_MULTIPROC_DIR= did."""
    here = tmp_path / "here"
    here.mkdir()
    env = {**server_environment(tmp_path), "prometheus_multiproc_dir": "", "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    result = subprocess.run([str(VENV_BIN / "python"), "-c", "import ops.metrics as m; m.MESSAGES_STORED.inc()"],
                            cwd=here, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1] == (
        "RuntimeError: prometheus_multiproc_dir must be a folder that exists, not ''")
    assert list(here.iterdir()) == []
