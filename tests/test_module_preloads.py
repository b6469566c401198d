"""blueprints/module_preloads.py: which modules a page's entry module imports (the browser test,
tests/browser/test_module_preloads.py, checks them against what Chromium fetches)."""
from __future__ import annotations

from blueprints.module_preloads import _imported, module_preloads


def test_imports_are_read_from_each_form_a_module_uses():
    source = '''import { a } from "./a.js";
import {
  b,
  c,
} from "../shared/b.js";
export { d } from './d.js';
import "./side-effect.js";
import * as e from "../../vendor/e.js";
const later = import("./lazy.js");  // fetched when it runs: not preloaded
// import { f } from "./commented.js"  is no import
const text = "from './not-a-module.js'";
import { g } from "bare-name";
'''
    assert _imported("js/chat/main.js", source) == [
        "js/chat/a.js", "js/shared/b.js", "js/chat/d.js", "js/chat/side-effect.js", "vendor/e.js"]


def test_an_import_outside_the_static_folder_is_not_followed(app, tmp_path):
    from blueprints.module_preloads import _reachable

    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "outside.js").write_text("export const secret = 1;\n")
    (tmp_path / "static" / "js" / "entry.js").write_text('import { secret } from "../../outside.js";\n')
    assert _reachable(str(tmp_path / "static"), "js/entry.js") == ("js/entry.js",)


def test_the_chat_pages_modules_start_with_its_entry_and_name_files_once(app):
    modules = module_preloads("js/chat/main.js")
    assert modules[0] == "js/chat/main.js" and len(modules) == len(set(modules))
    assert "vendor/markdown-it.js" in modules  # reached through js/chat/message-format.js, two folders up


def test_the_chat_page_names_them_in_its_head(client, auth, alice):
    auth.login()
    html = client.get("/").get_data(as_text=True)
    head = html[:html.index("</head>")]
    assert head.count('<link rel="modulepreload"') == len(module_preloads("js/chat/main.js"))
    assert '<link rel="modulepreload" href="/static/js/chat/app.js">' in head
