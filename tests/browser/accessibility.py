"""axe-core (npm, a devDependency: node_modules/axe-core) run inside a page of the browser tests.

The pages' Content-Security-Policy forbids inline scripts, and Playwright's add_script_tag(path=...)
writes the file's text into an inline <script>: the CSP refuses it (and the page reports a
violation). page.evaluate runs through the DevTools protocol, which the CSP does not govern, so the
library's text is evaluated there; it is never served to users."""
from __future__ import annotations

from functools import cache

from playwright.sync_api import Page

from tests.servers import ROOT

AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
EVERY = ("minor", "moderate", "serious", "critical")  # the chat page: no violation of any impact


@cache
def axe_source() -> str:
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: scripts/bootstrap installs the npm devDependencies")
    return AXE_PATH.read_text()


def axe_violations(page: Page, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe's WCAG 2 A/AA rules and best practices on the page as it is now: one line per violation of
    the given impacts, naming the rule and the offending elements."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;void 0;")
    results = page.evaluate("""async () => {
        const results = await axe.run(document, { resultTypes: ["violations"] });
        return results.violations.map((violation) => ({
            id: violation.id, impact: violation.impact, help: violation.help,
            nodes: violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary.split("\\n")[1]}`),
        }));
    }""")
    return [f"{violation['impact']} {violation['id']} ({violation['help']}): " + " | ".join(violation["nodes"][:6])
            for violation in results if violation["impact"] in impacts]
