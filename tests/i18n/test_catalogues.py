"""Every string of the interface has a Chinese translation: the sources are extracted afresh
(as scripts/translations update does) and compared with translations/zh_Hans_CN/*.po. A string
added without its translation, a fuzzy one, or one whose placeholders differ fails here."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PYBABEL = ROOT / ".venv" / "bin" / "pybabel"
EXTRACTIONS = {
    "messages": ["-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_l",
                 "--ignore-dirs=.* _* .venv node_modules tests bench migrations instance"],
    "client": ["-F", "babel-client.cfg", "-k", "t", "-k", "nt:1,2", "-k", "N_",
               "--ignore-dirs=.* _* node_modules vendor"],
}
PLACEHOLDERS = {"messages": re.compile(r"%\(\w+\)[sd]"), "client": re.compile(r"\{\w+\}")}


def extracted(domain: str, tmp_path: Path):
    template = tmp_path / f"{domain}.pot"
    subprocess.run([str(PYBABEL), "-q", "extract", *EXTRACTIONS[domain], "-o", str(template), "."],
                   check=True, cwd=ROOT)
    with template.open("rb") as handle:
        return read_po(handle)


def translated(domain: str):
    with (ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3])


@pytest.mark.parametrize("domain", ["messages", "client"])
def test_every_string_has_a_chinese_translation(domain, tmp_path):
    sources = extracted(domain, tmp_path)
    catalogue = translated(domain)
    assert len(sources) > 20, "the extraction found (almost) nothing: babel.cfg is wrong"
    problems = []
    for message in sources:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        strings = () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None:
            problems.append(f"missing from the catalogue: {message.id!r} ({where(message)})")
        elif entry.fuzzy or not strings or not all(strings):
            problems.append(f"untranslated or fuzzy: {message.id!r} ({where(message)})")
        else:
            source = message.id[0] if isinstance(message.id, tuple) else message.id
            expected = set(PLACEHOLDERS[domain].findall(source))
            for string in strings:
                if set(PLACEHOLDERS[domain].findall(string)) != expected:
                    problems.append(f"placeholders differ: {source!r} -> {string!r}")
    assert not problems, ("run scripts/translations update and translate these in translations/zh_Hans_CN/"
                          f"LC_MESSAGES/{domain}.po:\n" + "\n".join(problems))


@pytest.mark.parametrize("domain", ["messages", "client"])
def test_the_catalogue_holds_no_string_the_sources_dropped(domain, tmp_path):
    """A translation whose string no source has any more is dead (scripts/translations update deletes it)."""
    sources = {message.id for message in extracted(domain, tmp_path) if message.id}
    dropped = sorted(str(entry.id) for entry in translated(domain) if entry.id and entry.id not in sources)
    assert not dropped, f"run scripts/translations update: no source has these any more: {dropped}"


def test_the_check_notices_a_missing_string(tmp_path):
    """The comparison above is not vacuous: a made-up source string is not in the catalogue."""
    catalogue = translated("messages")
    assert catalogue.get("Settings") is not None and catalogue.get("Settings").string
    assert catalogue.get("A string nobody translated") is None


def test_a_missing_or_stale_catalogue_is_compiled_when_the_app_starts(tmp_path, monkeypatch):
    import os
    import shutil

    from babel.messages.mofile import read_mo

    import i18n

    folder = tmp_path / "zh_Hans_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", folder / "messages.po")
    (folder / "client.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                                      'msgid "Online"\nmsgstr "在线"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", str(tmp_path))
    i18n.compile_stale_catalogues()
    with (folder / "client.mo").open("rb") as handle:
        assert read_mo(handle).get("Online").string == "在线"
    assert (folder / "messages.mo").exists()
    (folder / "client.po").write_text((folder / "client.po").read_text(encoding="utf-8").replace("在线", "在线中"),
                                      encoding="utf-8")
    os.utime(folder / "client.mo", (1, 1))  # older than the .po just edited
    i18n.compile_stale_catalogues()
    with (folder / "client.mo").open("rb") as handle:
        assert read_mo(handle).get("Online").string == "在线中"
