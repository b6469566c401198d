"""Hypothesis strategies for input that must be refused, whatever field it lands in: the four
causes of issue 11 (deep nesting, integers past 2^63, NaN/Infinity/1e999, lone surrogates) and
their neighbours (control characters, wrong types, out-of-range ids and counters).

Every value of `HOSTILE_VALUE` is refused by every field of the API: by an integer or id field
(not an integer, or out of range), a text field (not a string, or a refused character), a choice
(not one of them) and a list of ids (not a list, or a bad id in it). It is never falsy, since
optional fields read a falsy value as absent.
"""
from __future__ import annotations

import json
from functools import cache
from urllib.parse import quote

from hypothesis import strategies as st

MAX_SAFE_INTEGER = 2**53 - 1  # the bound the API documents, written again here on purpose

REFUSED_CHARACTERS = st.one_of(
    st.characters(min_codepoint=0x00, max_codepoint=0x08),
    st.characters(min_codepoint=0x0B, max_codepoint=0x0C),  # not \r: multi-line text stores CR as LF
    st.characters(min_codepoint=0x0E, max_codepoint=0x1F),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]),
)


@st.composite
def refused_text(draw) -> str:
    """Text with at least one control character (never a newline, CR or tab) or lone surrogate, inside
    the text: stripping the ends (some control characters are whitespace to Python) keeps it."""
    before, after = draw(st.text(max_size=20)), draw(st.text(max_size=20))
    return before + "x" + draw(REFUSED_CHARACTERS) + "x" + after


OUT_OF_RANGE_INTEGERS = st.one_of(
    st.integers(min_value=MAX_SAFE_INTEGER + 1, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(MAX_SAFE_INTEGER + 1)),
    st.sampled_from([2**63 - 1, 2**63, 2**64, 99999999999999999999999, -(2**63)]),
)
NOT_INTEGERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda number: not number.is_integer()),
    st.sampled_from([1e308, -1e308, 1e300, 2.0**63, 2.0**64]),
)


# Strategies are built once and drawn from many times: Hypothesis validates a strategy object the first
# time it is drawn from, and for these nested ones that costs more than the request it generates.
HOSTILE_SCALAR = st.one_of(refused_text(), OUT_OF_RANGE_INTEGERS, NOT_INTEGERS, st.just(True))
HOSTILE_VALUE = st.one_of(HOSTILE_SCALAR, st.lists(HOSTILE_SCALAR, min_size=1, max_size=3),
                          st.dictionaries(st.text(max_size=5), HOSTILE_SCALAR, min_size=1, max_size=3))


def plausible(schema: dict, ids: list[int]) -> st.SearchStrategy:
    """A value the field might accept: the fields beside a hostile one, so that it is reached."""
    return _plausible(json.dumps(schema, sort_keys=True), tuple(ids))


@cache
def _plausible(schema_text: str, ids: tuple[int, ...]) -> st.SearchStrategy:
    schema, ids = json.loads(schema_text), list(ids)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("type") == "integer":
        return st.sampled_from(ids) if schema.get("minimum") == 1 and ids else st.integers(0, 50)
    if schema.get("type") == "array":
        return st.lists(st.sampled_from(ids or [1]), max_size=3)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(st.characters(codec="ascii", min_codepoint=32), min_size=1, max_size=12)


# Tokens that make a JSON text unreadable: none of them is JSON as the API reads it.
UNREADABLE_NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1E400",
                                      "9" * 101, "-" + "9" * 200])


@st.composite
def unreadable_json(draw, around: dict | None = None) -> str:
    """JSON text the API must refuse as a whole: a number it refuses in a field, nesting past 32
    levels (up to "[" * 100000), or text that is no JSON at all."""
    kind = draw(st.sampled_from(["number", "nested", "truncated"]))
    fields = dict(around or {"value": 1})
    name = draw(st.sampled_from(sorted(fields)))
    if kind == "number":
        fields[name] = "\0"
        return json.dumps(fields).replace('"\\u0000"', draw(UNREADABLE_NUMBERS), 1)
    if kind == "nested":
        depth = draw(st.one_of(st.integers(min_value=33, max_value=2000), st.just(100_000)))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        fields[name] = "\0"
        return json.dumps(fields).replace('"\\u0000"', opening * depth + "1" + closing * depth, 1)
    text = json.dumps(fields)
    return text[: draw(st.integers(min_value=1, max_value=len(text) - 1))]  # no body at all reads as {}


NOT_OBJECTS = st.one_of(st.lists(st.integers(), max_size=3), st.text(max_size=10), st.integers(),
                        st.floats(allow_nan=False, allow_infinity=False), st.booleans())


# Path segments where an id goes, percent-encoded as sent: none names a row (404 not_found, or the 404 of
# what the id would name: ids past 2^31 − 1 are within the protocol's range, past PostgreSQL's columns).
HOSTILE_IDS = st.one_of(
    st.integers(min_value=MAX_SAFE_INTEGER + 1, max_value=10**30).map(str),
    st.integers(min_value=2**31, max_value=MAX_SAFE_INTEGER).map(str),
    st.sampled_from(["0", "00", "-1", "+1", "1.0", "1e3", "0x10", "1_0", "%D9%A1", "%EF%BC%91", "9" * 5000,
                     "NaN", "Infinity", "%00", "%0A1", "1%20", "null", "%ED%A0%80"]),
    st.text(min_size=1, max_size=10)  # "/" would move into another route, "." and ".." are no ids anyway
    .filter(lambda text: "/" not in text and text.strip(".") and not (text.isascii() and text.isdigit()))
    .map(lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")),
)

# A signed link's token that the server never signed.
HOSTILE_TOKENS = st.text(min_size=1, max_size=300).filter(lambda text: "/" not in text and text.strip(".")).map(
    lambda text: quote(text.encode("utf-8", "surrogatepass"), safe=""))


def hostile_query_value(schema: dict) -> st.SearchStrategy:
    """A query string value that a parameter of this schema refuses (query strings carry no
    surrogates: Werkzeug decodes invalid UTF-8 as U+FFFD)."""
    return _hostile_query_value(schema.get("type") == "integer")


@cache
def _hostile_query_value(integer: bool) -> st.SearchStrategy:
    text = refused_text().filter(lambda value: not any(0xD800 <= ord(c) <= 0xDFFF for c in value))
    if not integer:
        return text
    return st.one_of(
        text,
        st.integers(min_value=MAX_SAFE_INTEGER + 1, max_value=10**40).map(str),
        st.integers(min_value=-(10**40), max_value=-1).map(str),
        st.sampled_from(["NaN", "Infinity", "1e3", "1.5", "0x1", "1_0", "١٢", "abc", "9" * 5000]),
    )
