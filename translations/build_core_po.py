"""Regenerate the Babel domain ``core`` (the error catalogue) for en, hi and mr.

    .venv/bin/python translations/build_core_po.py                 # update core.po files
    .venv/bin/python translations/build_core_po.py --fill new.json # also take translations
    .venv/bin/python translations/build_core_po.py --check         # exit 1 if any is missing

Every message and fix text of ``fieldkit.errors.CATALOGUE`` (after importing every
module that registers codes) becomes one entry of ``translations/<lang>/LC_MESSAGES/
core.po``. Translations already in core.po are kept; texts no longer in the catalogue
are dropped; new texts get an empty msgstr (or one from ``--fill``, a JSON object
``{msgid: {"hi": ..., "mr": ...}}``). The en catalog carries msgstr = msgid.

All domains of a language are merged at run time, so a msgid that another domain
(station, sync, ...) already translates takes that domain's translation here too:
the merged catalog never holds two answers for one text.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "hi", "mr")
DOMAIN = "core"
# Modules that register error codes (importing them fills CATALOGUE).
REGISTERING_MODULES = ("fieldkit.errors", "aggregator.app", "fieldkit.forms.lint",
                       "fieldkit.station.app", "fieldkit.export")


def catalogue_texts() -> dict[str, list[str]]:
    """Every message and fix text -> the codes (and which half) that use it."""
    for name in REGISTERING_MODULES:
        importlib.import_module(name)
    from fieldkit.errors import CATALOGUE

    texts: dict[str, list[str]] = {}
    for spec in CATALOGUE.values():
        for kind, text in (("message", spec.message), ("fix", spec.fix)):
            if text:
                texts.setdefault(text, []).append(f"{spec.code} ({kind})")
    return texts


def _read(path: Path, lang: str) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=path.stem)


def other_domains(lang: str) -> dict[str, tuple[str, str]]:
    """msgid -> (domain, translation) from the language's other catalogs."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((HERE / lang / "LC_MESSAGES").glob("*.po")):
        if path.stem == DOMAIN:
            continue
        catalog = _read(path, lang)
        for message in catalog or ():
            if message.id and isinstance(message.id, str) and message.string:
                found.setdefault(message.id, (path.stem, message.string))
    return found


def build(lang: str, texts: dict[str, list[str]], fill: dict[str, dict[str, str]]) -> list[str]:
    """Write ``lang``'s core.po; return the msgids still untranslated."""
    path = HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    old = _read(path, lang)
    kept = {m.id: m.string for m in old or () if m.id and m.string and "fuzzy" not in m.flags}
    elsewhere = other_domains(lang) if lang != "en" else {}

    catalog = Catalog(locale=lang, domain=DOMAIN, project="fieldkit", version="0.1",
                      copyright_holder="fieldkit", fuzzy=False,
                      creation_date=old.creation_date if old else datetime.now(timezone.utc))
    missing, new, changed = [], 0, 0
    for msgid in sorted(texts):
        if lang == "en":
            string = msgid
        elif msgid in elsewhere:
            domain, string = elsewhere[msgid]
            if kept.get(msgid) not in (None, string):
                print(f"{lang}: {msgid!r} takes the {domain} translation", file=sys.stderr)
                changed += 1
        else:
            string = (fill.get(msgid) or {}).get(lang) or kept.get(msgid, "")
            changed += bool(kept.get(msgid)) and string != kept[msgid]
        if msgid not in kept:
            new += 1
        if not string:
            missing.append(msgid)
        catalog.add(msgid, string, auto_comments=texts[msgid])
    dropped = len(set(kept) - set(texts))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, include_lineno=False,
                 include_previous=False)
    print(f"{lang}: {len(texts)} entries, {new} new, {changed} changed, {dropped} dropped, "
          f"{len(missing)} untranslated", file=sys.stderr)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fill", type=Path, help="JSON {msgid: {lang: translation}}")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if any entry is untranslated")
    parser.add_argument("--missing", type=Path,
                        help="write the untranslated msgids as a --fill template (JSON)")
    args = parser.parse_args(argv)
    fill = json.loads(args.fill.read_text(encoding="utf-8")) if args.fill else {}
    texts = catalogue_texts()
    missing: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        for msgid in build(lang, texts, fill):
            missing.setdefault(msgid, {"hi": "", "mr": ""})
    if args.missing:
        args.missing.write_text(json.dumps(missing, ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
