"""wsgi.py, gunicorn's entry point, imported as the gevent worker imports it (in a process of its own:
it patches the standard library): gevent's patching first, the start-up heap frozen for the cyclic
collector, and no spawning stack recorded for the greenlets the worker makes (docs/deployment.md,
"Why gevent"; docs/benchmarks.md, "The collector in a reconnect storm")."""
from __future__ import annotations

import json
import subprocess

from tests.servers import ROOT, VENV_BIN, server_environment

PROBE = """
import json, gc
import wsgi, gevent, gevent.monkey
spawned = gevent.spawn(lambda: None)
spawned.join()
print(json.dumps({"socket_patched": gevent.monkey.is_module_patched("socket"),
                  "frozen": gc.get_freeze_count(), "tree": gevent.config.track_greenlet_tree,
                  "spawning_stack": spawned.spawning_stack is not None}))
"""


def test_the_entry_point_patches_freezes_and_records_no_spawning_stacks(tmp_path):
    environment = server_environment(tmp_path)
    result = subprocess.run([str(VENV_BIN / "python"), "-c", PROBE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["socket_patched"] and found["frozen"] > 10_000  # the modules and the app, at least
    assert found["tree"] is False and found["spawning_stack"] is False
