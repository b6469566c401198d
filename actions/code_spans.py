"""Which text of a message is code, as the chat page shows it (static/js/chat/message-format.js: markdown-it,
preset "zero" with fences, backticks, emphasis and links): text in code mentions nobody (actions.mentions).

markdown-it's rules, the few that decide what is code:
- A fence is a line indented less than 4 columns (a tab to the next multiple of 4) that starts with 3 or
  more "`" or "~" (a "`" fence's line holds no other "`"); it ends with a line indented so of at least as
  many of the same character and nothing else but spaces and tabs, or with the text. It may follow a line
  of text directly. Everything from it to its end is code, its opening line's info string too (not shown).
- Outside fences, lines make paragraphs, ended by a blank line (spaces and tabs at most) or a fence.
- In a paragraph, a run of N "`" opens a code span that the next run of exactly N "`" closes; a run with
  no such run after it is plain text, and so is each "`" in it. A code span never crosses a paragraph.
- Except in a link the inline parser reads first (an autolink `<…>`, or from `http://` and the like: which,
  and where it ends, is actions.links.inline_link's rule, the one mentions use too): its backticks are the
  link's (linkify-it reads a "`" as a letter in a link). A link refused ("http://,`a`", `<javascript:…>`)
  leaves its backticks to code spans. Bare addresses (example.com) are made links after the code spans are
  found: they change nothing.
Carriage returns end lines as line feeds do (markdown-it's normalize); no other character ends a line.
"""
from __future__ import annotations

import re

from actions.links import INLINE as LINK
from actions.links import inline_link

LINE_ENDS = re.compile(r"\r\n?")
FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)")
# What the inline parser reads before a backtick could open a code span there (a link: markdown-it's autolink
# and linkify rules, actions.links.inline_link); or a run of backticks.
INLINE = re.compile(r"(?P<ticks>`+)|" + LINK.pattern, LINK.flags)  # its flags, ASCII included: as actions.links
TICKS = re.compile(r"`+")


def text_outside_code(body: str) -> list[str]:
    """The runs of `body`'s text that the page shows as text, not code, in order (each a place where
    a mention may start, as each of the page's text runs is)."""
    runs: list[str] = []
    paragraph: list[str] = []
    fence: str | None = None  # the open fence's marker run
    for line in LINE_ENDS.sub("\n", body).split("\n"):
        indent, rest = _indent(line)
        if fence is not None:
            if indent < 4 and rest.startswith(fence) and not rest.lstrip(fence[0]).strip(" \t"):
                fence = None
            continue
        opening = FENCE_OPEN.fullmatch(rest) if indent < 4 else None
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = opening.group(1)
        elif rest:
            paragraph.append(line)
            continue
        runs.extend(_inline_text("\n".join(paragraph)))
        paragraph = []
    runs.extend(_inline_text("\n".join(paragraph)))
    return [run for run in runs if run]


def _indent(line: str) -> tuple[int, str]:
    """The line's indentation in columns (a tab to the next multiple of 4), and the line after it."""
    columns = 0
    for index, character in enumerate(line):
        if character == " ":
            columns += 1
        elif character == "\t":
            columns += 4 - columns % 4
        else:
            return columns, line[index:]
    return columns, ""


def _inline_text(paragraph: str) -> list[str]:
    """A paragraph's text runs around its code spans."""
    runs, start, position = [], 0, 0
    while found := INLINE.search(paragraph, position):
        position = found.end()
        if found.group("ticks") is None:  # where a link may be: its backticks are part of it
            link = inline_link(paragraph, found)
            position = link[1] if link is not None else found.start() + 1
            continue
        closer = next((run for run in TICKS.finditer(paragraph, position) if len(run.group()) == len(found.group())),
                      None)
        if closer is not None:
            runs.append(paragraph[start:found.start()])
            start = position = closer.end()
    runs.append(paragraph[start:])
    return runs
