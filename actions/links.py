"""Which text of a message is a link, as the chat page shows it (static/js/chat/message-format.js: markdown-it
with linkify-it, fuzzy links and e-mail addresses on): an @name inside a link is the link's text and mentions
nobody (actions.mentions), as in Slack and Mattermost (`https://example.com/?u=@bob`).

linkify-it's rules (the version static/vendor/markdown-it.js bundles), read here with the same regular
expressions, in the same order:
- `http://`, `https://` and `ftp://` not after an ASCII letter or digit or "+" (markdown-it's inline rule takes
  them after any other character; linkify-it's own after a space or punctuation), then a host: labels of
  letters, digits and symbols (no punctuation, space or "<", ">", "｜"), "-" inside, an optional port; then an
  optional path from "/", "?" or "#": brackets, braces and parentheses in balanced pairs, quotes in pairs, ".",
  ",", ";", "!", "?" and "-" only before more of the link, and "\\ / : % @ # & = _ ~ *" and any letter, digit
  or symbol; the link ends at anything else (a space, other punctuation, "<", ">", "｜"). `mailto:` and a
  bare address (`name@example.com`) are links too, and so is a bare host ending in a known top-level domain
  (`example.com/?u=@bob`, `www.example.org`: the same list), not after ".", ":", "/", "-", "_", "@", a
  letter or a digit.
- The earliest link wins, the longest of those starting at the same place; the next is looked for after it.
- The page shows links to http, https and mailto only: the text of any other (`ftp://…`, `//host/…`), and of
  a host the browser refuses (a "^" or "|" in it), is text again, as is a bare name like `setup.py` (a
  two-letter ending and no path): it is read for mentions on its own, as the page reads it.
Approximations, all where the page shows less than it would in theory: a host written as an IPv6 address
([::1]) is not a link here; punctuation and spaces beyond the Basic Multilingual Plane are read as letters;
emphasis (`*…*`) and line ends, which split the page's text before links are looked for, do not here.
"""
from __future__ import annotations

import re
import sys
import unicodedata

__all__ = ["INLINE", "inline_link", "text_outside_links"]


def _class(categories: tuple[str, ...]) -> str:
    """A regex character class body of the Basic Multilingual Plane's characters of those categories."""
    ranges: list[list[int]] = []
    for code in range(min(sys.maxunicode, 0xFFFF) + 1):
        if unicodedata.category(chr(code)).startswith(categories):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "") for low, high in ranges)


ZCC = "[" + _class(("Zs", "Zl", "Zp", "Cc")) + "]"
ZPCC = "[" + _class(("Zs", "Zl", "Zp", "Cc", "P")) + "]"
SEPARATORS = "[<>\uff5c]"
PSEUDO_LETTER = f"(?:(?!{SEPARATORS}|{ZPCC}).)"


def _nested(opening: str, closing: str, depth: int = 4) -> str:
    o, c = re.escape(opening), re.escape(closing)
    inner = f"(?:(?!{ZCC}|{o}|{c}).)"
    pattern = f"{o}{inner}{{0,1000}}{c}"
    for _ in range(2, depth + 1):
        pattern = f"{o}(?:{inner}|{pattern}){{0,1000}}{c}"
    return pattern


PATH = (f"(?:[/?#](?:{_nested('[', ']')}|{_nested('(', ')')}|{_nested('{', '}')}"
        f"|\"(?:(?!{ZCC}|[\"]).){{1,100}}\"|'(?:(?!{ZCC}|[']).){{1,100}}'|'(?={PSEUDO_LETTER}|[-])"
        f"|\\.{{2,20}}[:]?[a-zA-Z0-9%/&]|\\.(?!{ZCC}|[.]|\\Z)|\\-{{1,20}}|,(?!{ZCC}|\\Z)|;(?!{ZCC}|\\Z)"
        f"|!{{1,20}}(?!{ZCC}|[!]|\\Z)|\\?(?!{ZCC}|[?]|\\Z)|[\\\\/:%@#&=_~*]|(?!{ZPCC}|{SEPARATORS}).){{1,10000}}|/)?")
XN = "xn--[a-z0-9\\-]{1,59}"
DOMAIN = f"(?:{XN}|(?:{PSEUDO_LETTER})|(?:{PSEUDO_LETTER}(?:-|{PSEUDO_LETTER}){{0,61}}{PSEUDO_LETTER}))"
DOMAIN_ROOT = f"(?:{XN}|{PSEUDO_LETTER}{{1,63}})"
PORT = "(?::(?:6(?:[0-4]\\d{3}|5(?:[0-4]\\d{2}|5(?:[0-2]\\d|3[0-5])))|[1-5]?\\d{1,4}))?"
HOST_END = f"(?=\\Z|{SEPARATORS}|{ZPCC})(?!-|_|:\\d|\\.-|\\.(?!\\Z|{ZPCC}))"
# linkify-it's default top-level domains: these, and every two-letter country's.
TLDS = "biz|com|edu|gov|net|org|pro|web|xxx|aero|asia|coop|info|museum|name|shop|рф".split("|") + [
    group[0] + last for group in (
        "a:cdefgilmnoqrstuwxz|b:abdefghijmnorstvwyz|c:acdfghiklmnoruvwxyz|d:ejkmoz|e:cegrstu|f:ijkmor|"
        "g:abdefghilmnpqrstuwy|h:kmnrtu|i:delmnoqrst|j:emop|k:eghimnprwyz|l:abcikrstuvy|"
        "m:acdeghklmnopqrstuvwxyz|n:acefgilopruz|o:m|p:aefghklmnrstwy|q:a|r:eosuw|"
        "s:abcdeghijklmnortuvxyz|t:cdfghjklmnortvwz|u:agksyz|v:aceginu|w:fs|y:et|z:amw").split("|")
    for last in group[2:]]
TLD = "|".join(sorted(set(TLDS), reverse=True)) + "|" + XN
MAIL_CHARACTER = "[-!#$%&'*+/=?^_`{|}~a-zA-Z0-9]"
MAIL_NAME = f"{MAIL_CHARACTER}(?:{MAIL_CHARACTER}|[.](?={MAIL_CHARACTER})){{0,63}}"

HTTP = re.compile(f"//(?:(?:{DOMAIN})\\.){{0,10}}{DOMAIN}{PORT}{HOST_END}{PATH}", re.IGNORECASE)
RELATIVE = re.compile(f"(?:localhost|(?:(?:{DOMAIN})[.]){{1,10}}{DOMAIN_ROOT}){PORT}{HOST_END}{PATH}",
                      re.IGNORECASE)
MAILTO = re.compile(f"{MAIL_NAME}@(?:(?:{DOMAIN})\\.){{0,4}}{DOMAIN}{HOST_END}", re.IGNORECASE)
SCHEMA = re.compile(f"(^|(?!_)(?:{SEPARATORS}|{ZPCC}))(http:|https:|ftp:|//|mailto:)", re.IGNORECASE)
FUZZY_LINK = re.compile(f"(^|(?![.:/\\-_@])(?:[$+<=>^`|\uff5c]|{ZPCC}))(?:(?![$+<=>^`|\uff5c])"
                        f"(?:(?:{DOMAIN})\\.){{1,10}}(?:{TLD}){HOST_END}{PATH})", re.IGNORECASE)
FUZZY_MAIL_HOST = re.compile(f"@(?:(?:{DOMAIN})[.]){{1,4}}{DOMAIN_ROOT}{HOST_END}", re.IGNORECASE)
MAIL_NAME_BEFORE = re.compile(f"(?:^|{SEPARATORS}|\"|\\(|{ZCC})({MAIL_NAME})\\Z", re.IGNORECASE)
# re.ASCII: a scheme's letters are ASCII ones, either case; Python's IGNORECASE alone would read the Kelvin sign
# as "k" and "ſ" as "s", which the page's JavaScript does not (nor linkify-it's patterns, also ASCII-only here).
INLINE_SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])(?:https?|ftp|mailto)(?=://)", re.IGNORECASE | re.ASCII)
# markdown-it's autolinks (AUTOLINK_RE, EMAIL_RE): "<scheme:…>" and "<address@host>", found first.
AUTOLINK = re.compile(r"<(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,31}):[^<>\x00-\x20]*"
                      r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>")
# What markdown-it's inline parser reads as a link, where it may be one (inline_link says whether it is).
INLINE = re.compile(f"{AUTOLINK.pattern}|{INLINE_SCHEME.pattern}", re.IGNORECASE | re.ASCII)
# markdown-it's validateLink: these schemes are refused (no link, the "<" is text), but for an image's data.
REFUSED_SCHEMES = ("javascript:", "vbscript:", "file:", "data:")
IMAGE_DATA = re.compile(r"data:image/(?:gif|png|jpeg|webp);", re.IGNORECASE | re.ASCII)
FILE_NAME_LIKE = re.compile(r"[^/?#@:]+\.[a-z]{2}", re.IGNORECASE)


def text_outside_links(run: str) -> list[str]:
    """A run of text (actions.code_spans.text_outside_code's) cut around the links the page shows as links,
    in order: the runs the page reads mentions in (a link it shows as text is a run of its own)."""
    runs, start = [], 0
    for index, end, schema in _links(run):
        shown = run[index + 1:end - 1] if schema == "<" else run[index:end]
        runs.append(run[start:index])
        if not _is_link_on_page(shown, schema):
            runs.append(shown)
        start = end
    runs.append(run[start:])
    return [part for part in runs if part]


def _is_link_on_page(text: str, schema: str) -> bool:
    """message-format.js: only http, https and mailto links, not a bare file name ("setup.py"), and a host
    the browser takes (a "^" or "|" in it throws in `new URL`)."""
    if schema in ("ftp:", "//", "<"):  # "<": an autolink of another scheme
        return False
    if schema == "" and FILE_NAME_LIKE.fullmatch(text) and not text.lower().startswith("www."):
        return False
    if schema == "mailto:":
        return True
    host = re.split(r"[/?#]", text.split("//", 1)[1] if schema else text, maxsplit=1)[0]
    return not re.search(r"[\^|]", host)


def _links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, schema) of each link, schema "" for a bare host: markdown-it's inline rule's first (http,
    https and ftp links, read as the text is parsed), then linkify-it's match() in the text between them."""
    found, start = [], 0
    for link in _inline_links(text):
        found.extend(_linkify(text[start:link[0]], start))
        found.append(link)
        start = link[1]
    found.extend(_linkify(text[start:], start))
    return found


def _linkify(text: str, offset: int) -> list[tuple[int, int, str]]:
    """linkify-it's match(): the earliest link, the longest of those starting there, then the next after it."""
    finders = (_schema_link, _fuzzy_link, _mail)
    next_of: list[tuple[int, int, str] | None] = [None] * len(finders)  # each kind's next link, as found
    none_left = [False] * len(finders)
    found, after = [], 0
    while after < len(text):
        for kind, finder in enumerate(finders):  # looked for again only once passed (linkify-it's way too)
            if not none_left[kind] and (next_of[kind] is None or next_of[kind][0] < after):
                next_of[kind] = finder(text, after)
                none_left[kind] = next_of[kind] is None
        candidates = [link for link in next_of if link is not None and link[0] >= after]
        if not candidates:
            break
        best = min(candidates, key=lambda link: (link[0], -link[1]))
        found.append((best[0] + offset, best[1] + offset, best[2]))
        after = best[1]
    return found


def _schema_link(text: str, after: int):
    for match in SCHEMA.finditer(text, max(after - 1, 0)):
        index = match.start(2)
        if index < after:
            continue
        length = _validate(text, match.group(2).lower(), match.end())
        if length:
            return index, match.end() + length, match.group(2).lower()
    return None


def _validate(text: str, schema: str, at: int) -> int:
    if schema in ("http:", "https:", "ftp:"):
        match = HTTP.match(text, at)
    elif schema == "mailto:":
        match = MAILTO.match(text, at)
    else:  # "//", not after ":" or "/" three characters back (linkify-it's rule)
        match = RELATIVE.match(text, at)
        if match and at >= 3 and text[at - 3] in ":/":
            return 0
    return len(match.group()) if match else 0


def _inline_links(text: str) -> list[tuple[int, int, str]]:
    """The links markdown-it reads as it parses the text, from left to right (inline_link)."""
    found, after = [], 0
    for match in INLINE.finditer(text):
        if match.start() >= after and (link := inline_link(text, match)) is not None:
            found.append(link)
            after = link[1]
    return found


def inline_link(text: str, match: re.Match) -> tuple[int, int, str] | None:
    """The link markdown-it's inline parser reads at `match` (one of INLINE's), as (start, end, schema), or
    None: an autolink (schema "<" for one of a scheme the page does not link; none for javascript:, vbscript:,
    file: and data: but an image's data:image/gif;, png;, jpeg; or webp;, which markdown-it refuses), or its
    linkify rule's, at "://" after "http", "https", "ftp" or "mailto" that no ASCII letter, digit, "+", "." or
    "-" comes before (a link's trailing "*" left out).
    actions.code_spans asks it too: a backtick in such a link is the link's."""
    if match.group().startswith("<"):
        scheme = (match.group("scheme") or "mailto").lower() + ":"
        if scheme in REFUSED_SCHEMES and not IMAGE_DATA.match(match.group(), 1):
            return None
        return match.start(), match.end(), scheme if scheme in ("http:", "https:", "mailto:") else "<"
    length = _validate(text, match.group().lower() + ":", match.end() + 1)
    if not length:
        return None
    end = match.end() + 1 + length
    while end > match.end() + 3 and text[end - 1] == "*":
        end -= 1
    return match.start(), end, match.group().lower() + ":"


def _fuzzy_link(text: str, after: int):
    for match in FUZZY_LINK.finditer(text, max(after - 1, 0)):
        if match.end(1) >= after:
            return match.end(1), match.end(), ""
    return None


def _mail(text: str, after: int):
    for match in FUZZY_MAIL_HOST.finditer(text, max(after - 1, 0)):
        name = MAIL_NAME_BEFORE.search(text[max(0, match.start() - 65):match.start()])
        if name and match.start() - len(name.group(1)) >= after:
            return match.start() - len(name.group(1)), match.end(), "mailto:"
    return None
