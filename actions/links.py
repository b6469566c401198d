"""Which text of a message is a link, as the chat page shows it (static/js/chat/message-format.js: markdown-it
with linkify-it, fuzzy links and e-mail addresses on): an @name inside a link is the link's text and mentions
nobody (actions.mentions), as in Slack and Mattermost (`https://example.com/?u=@bob`).

linkify-it's rules (the version static/vendor/markdown-it.js bundles), read here with the same regular
expressions, in the same order:
- `http://`, `https://` and `ftp://` not after an ASCII letter or digit or "+" (markdown-it's inline rule takes
  them, and `mailto://`, after any other character but "." and "-": inline_link; linkify-it's own after a space
  or punctuation), then a host: labels of
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

__all__ = ["INLINE", "inline_link", "text_outside_links"]


# linkify-it's src_ZCc (uc.micro's Z and Cc) and src_P (uc.micro's P) as the bundled markdown-it has them
# (15.0.3), their Basic Multilingual Plane part: written out, not read from Python's unicodedata, whose Unicode
# version is Python's (3.11: 14.0, without the Balinese punctuation U+1B4E, U+1B4F, U+1B7F of the page's).
# tests/browser/test_mentions_in_code.py checks them against the page's.
_Z_CC = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000"
_P = (r"\x21-\x23\x25-\x2a\x2c-\x2f\x3a-\x3b\x3f-\x40\x5b-\x5d\x5f\x7b\x7d\xa1\xa7\xab\xb6-\xb7\xbb\xbf"
      r"\u037e\u0387\u055a-\u055f\u0589-\u058a\u05be\u05c0\u05c3\u05c6\u05f3-\u05f4\u0609-\u060a"
      r"\u060c-\u060d\u061b\u061d-\u061f\u066a-\u066d\u06d4\u0700-\u070d\u07f7-\u07f9\u0830-\u083e\u085e"
      r"\u0964-\u0965\u0970\u09fd\u0a76\u0af0\u0c77\u0c84\u0df4\u0e4f\u0e5a-\u0e5b\u0f04-\u0f12\u0f14"
      r"\u0f3a-\u0f3d\u0f85\u0fd0-\u0fd4\u0fd9-\u0fda\u104a-\u104f\u10fb\u1360-\u1368\u1400\u166e"
      r"\u169b-\u169c\u16eb-\u16ed\u1735-\u1736\u17d4-\u17d6\u17d8-\u17da\u1800-\u180a\u1944-\u1945"
      r"\u1a1e-\u1a1f\u1aa0-\u1aa6\u1aa8-\u1aad\u1b4e-\u1b4f\u1b5a-\u1b60\u1b7d-\u1b7f\u1bfc-\u1bff"
      r"\u1c3b-\u1c3f\u1c7e-\u1c7f\u1cc0-\u1cc7\u1cd3\u2010-\u2027\u2030-\u2043\u2045-\u2051\u2053-\u205e"
      r"\u207d-\u207e\u208d-\u208e\u2308-\u230b\u2329-\u232a\u2768-\u2775\u27c5-\u27c6\u27e6-\u27ef"
      r"\u2983-\u2998\u29d8-\u29db\u29fc-\u29fd\u2cf9-\u2cfc\u2cfe-\u2cff\u2d70\u2e00-\u2e2e\u2e30-\u2e4f"
      r"\u2e52-\u2e5d\u3001-\u3003\u3008-\u3011\u3014-\u301f\u3030\u303d\u30a0\u30fb\ua4fe-\ua4ff"
      r"\ua60d-\ua60f\ua673\ua67e\ua6f2-\ua6f7\ua874-\ua877\ua8ce-\ua8cf\ua8f8-\ua8fa\ua8fc\ua92e-\ua92f"
      r"\ua95f\ua9c1-\ua9cd\ua9de-\ua9df\uaa5c-\uaa5f\uaade-\uaadf\uaaf0-\uaaf1\uabeb\ufd3e-\ufd3f"
      r"\ufe10-\ufe19\ufe30-\ufe52\ufe54-\ufe61\ufe63\ufe68\ufe6a-\ufe6b\uff01-\uff03\uff05-\uff0a"
      r"\uff0c-\uff0f\uff1a-\uff1b\uff1f-\uff20\uff3b-\uff3d\uff3f\uff5b\uff5d\uff5f-\uff65")
ZCC = f"[{_Z_CC}]"
ZPCC = f"[{_Z_CC}{_P}]"
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
