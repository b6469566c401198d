"""The static JavaScript modules a page's entry module imports, directly or through others, for the page's
head to name (`<link rel="modulepreload">`, the `module_preloads` template global): the browser then asks for
them all as soon as it reads the head, where it would find them one level of imports at a time (the chat's
main.js reaches 50 modules five levels deep: five round trips before the page can start).

Read from the files once per process and entry: a module whose imports change is picked up by a restart (as
the code is). A path a module imports that is not a file in the static folder is left to the browser."""
from __future__ import annotations

import posixpath
import re
from functools import cache
from pathlib import Path

from flask import current_app

# Static imports only (`import … from "…"`, `export … from "…"`, `import "…"`), each at the start of a line as
# the modules are written; a dynamic import() is fetched when it runs, not preloaded.
_STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""", re.MULTILINE)


def module_preloads(entry: str) -> tuple[str, ...]:
    """The entry (a path in the static folder, as url_for('static', filename=…) takes it) and every module it
    imports, transitively, each once, in the order first met."""
    return _reachable(current_app.static_folder, entry)


@cache
def _reachable(static_folder: str, entry: str) -> tuple[str, ...]:
    root, found, waiting = Path(static_folder), [], [entry]
    while waiting:
        module = waiting.pop(0)
        if module in found or module.startswith("../") or not (root / module).is_file():  # only the static folder's
            continue
        found.append(module)
        waiting.extend(_imported(module, (root / module).read_text(encoding="utf-8")))
    return tuple(found)


def _imported(module: str, source: str) -> list[str]:
    """The static folder's paths of the relative imports of `module` (a bare name would be an import map's)."""
    folder = posixpath.dirname(module)
    return [posixpath.normpath(posixpath.join(folder, specifier))
            for match in _STATIC_IMPORT.finditer(source)
            for specifier in match.groups() if specifier and specifier.startswith(("./", "../"))]
