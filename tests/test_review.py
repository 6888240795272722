"""The IRB review packet: one self-contained HTML file with the whole form in en, hi and
mr, the consent script, skip logic in words, the lint report, the content hash and the
changes since an approved version -- and nothing loaded from anywhere else."""

from __future__ import annotations

import base64
import copy
import re
import sys
from pathlib import Path

import pytest

from fieldkit.forms import load_form
from fieldkit.forms.lint import lint_paths
from fieldkit.forms.review import FONT, in_words, render_packet

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import GOOD, good_data, question, write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STUDY_FORMS = sorted((ROOT / "forms").glob("*.yaml"))


def external_references(html: str) -> list[str]:
    """Every URL the page could fetch or link to outside itself."""
    refs = re.findall(r"""(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]+)""", html, re.I)
    refs += re.findall(r"""url\(\s*["']?([^"')]+)""", html, re.I)
    refs += re.findall(r"@import\s+[^;]+", html, re.I)
    return [r for r in refs if not r.startswith(("#", "data:"))]


@pytest.fixture(scope="module")
def good_packet() -> str:
    form = load_form(GOOD)
    return render_packet(form, findings=lint_paths(GOOD))


def test_packet_loads_nothing_from_outside(good_packet: str) -> None:
    assert "http://" not in good_packet and "https://" not in good_packet
    assert external_references(good_packet) == []


@pytest.mark.parametrize("path", STUDY_FORMS, ids=lambda p: p.stem)
def test_study_packets_are_self_contained_and_complete(path: Path) -> None:
    form = load_form(path)
    html = render_packet(form, findings=lint_paths(path))
    # a form's own text may mention a web address; the page itself fetches and links nothing
    assert external_references(html) == []
    assert form.hash in html
    for q in form.all_questions:
        for lang in ("en", "hi", "mr"):
            assert _escaped(q.label[lang]) in html, (q.id, lang)


def _escaped(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def test_all_three_languages_side_by_side(good_packet: str) -> None:
    data = good_data()
    for lang in ("en", "hi", "mr"):
        assert _escaped(question(data, "ease")["label"][lang]) in good_packet
        assert _escaped(data["consent"]["script"][lang]) in good_packet
        assert _escaped(question(data, "ease")["options"][0]["label"][lang]) in good_packet
    assert 'lang="hi"' in good_packet and 'lang="mr"' in good_packet
    for name in ("English", "हिन्दी", "मराठी"):
        assert name in good_packet


def test_hash_and_consent_are_shown(good_packet: str) -> None:
    form = load_form(GOOD)
    assert re.search(rf'id="content-hash">{form.hash}<', good_packet)
    assert 'id="consent"' in good_packet


def test_devanagari_font_is_embedded(good_packet: str) -> None:
    m = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", good_packet)
    assert m is not None
    assert base64.b64decode(m.group(1)) == FONT.read_bytes()


def test_clean_lint_report(good_packet: str) -> None:
    assert 'id="lint"' in good_packet
    assert "The linter found no problems" in good_packet
    assert "No question asks the respondent about their own acts." in good_packet


def test_lint_findings_are_in_the_packet(tmp_path: Path) -> None:
    data = copy.deepcopy(good_data())
    question(data, "ease")["label"]["en"] = "Have you ever paid for sex with a young girl?"
    question(data, "notes")["label"]["mr"] = question(data, "notes")["label"]["en"]
    path = write(tmp_path, data)
    html = render_packet(load_form(path), findings=lint_paths(path))
    assert "lint.self_incrimination" in html and "lint.untranslated" in html
    assert "have you ever paid" in html          # the offending words are quoted
    assert "2 errors" in html


def test_skip_logic_in_words(good_packet: str) -> None:
    form = load_form(GOOD)
    sentence = in_words(form, question_expr(form, "channels"), "en")
    ease = form.question("ease").label["en"]
    assert len(ease) > 90
    assert sentence == ("Shown only if “People now use mobile phones to find paid sex more "
                        f"than before.” is “True” or “{short(ease)}” is “Easy”.")
    assert _escaped(sentence) in good_packet
    eligibility = in_words(form, form.eligibility.eligible_if, "en", kind="eligible_if")
    assert eligibility == "Eligible only if “How old are you?” is one of “18-29”, “30-60”."
    constraint = in_words(form, form.question("channels").constraint, "en",
                          kind="accepted_if", current=form.question("channels"))
    assert constraint.startswith("Accepted only if the number of answers chosen in")


def question_expr(form, qid):
    return form.question(qid).relevant


def short(label: str) -> str:
    """Long labels are shortened in sentences, as the packet does."""
    return label if len(label) <= 90 else label[:87].rstrip() + "…"


@pytest.mark.parametrize(("expr", "words"), [
    ("not selected(channels, 'online')", "“{c}” does not include “Online”"),
    ("not (ease = 'easy')", "“{e}” is not “Easy”"),
    ("ease != 'easy' and ease != 'very_easy'", "“{e}” is none of “Easy”, “Very easy”"),
    ("answered(ease) and not (ease = 'easy' or tech_used = 'false')",
     "“{e}” was answered and not (“{e}” is “Easy” or “{t}” is “False”)"),
])
def test_expressions_read_as_sentences(tmp_path: Path, expr: str, words: str) -> None:
    data = copy.deepcopy(good_data())
    question(data, "notes")["relevant"] = expr
    form = load_form(write(tmp_path, data))
    c, e, t = (short(form.question(q).label["en"]) for q in ("channels", "ease", "tech_used"))
    assert in_words(form, form.question("notes").relevant, "en") == \
        "Shown only if " + words.format(c=c, e=e, t=t) + "."


def test_changes_since_an_approved_version(tmp_path: Path) -> None:
    data = copy.deepcopy(good_data())
    question(data, "ease")["label"]["mr"] = "तुमच्या मते लोकांना कमी वयाच्या मुली शोधणे किती सोपे आहे?"
    data["consent"]["script"]["en"] += " The interview takes about 15 minutes."
    new = write(tmp_path, data)
    old = load_form(GOOD)
    html = render_packet(load_form(new), findings=lint_paths(new), since=old)
    assert 'id="changes"' in html and old.hash in html and load_form(new).hash in html
    assert "The Marathi text of &#39;ease&#39; (label) changed." in html
    assert "The English text of the consent script changed." in html
    assert "The interview takes about 15 minutes." in html


def test_no_changes_section_without_since(good_packet: str) -> None:
    assert 'id="changes"' not in good_packet


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_packet_chrome_in_hindi_and_marathi(lang: str) -> None:
    form = load_form(GOOD)
    html = render_packet(form, lang=lang, findings=lint_paths(GOOD))
    assert f'<html lang="{lang}">' in html
    english_chrome = ["Consent script", "Lint report", "Eligibility screening",
                      "Shown only if", "Content hash (SHA-256)"]
    for words in english_chrome:
        assert words not in html, f"untranslated in {lang}: {words}"


def test_print_css_is_a4_landscape(good_packet: str) -> None:
    assert re.search(r"@page\s*{\s*size:\s*A4 landscape", good_packet)
    assert "@media print" in good_packet


@pytest.mark.browser
def test_chromium_opens_the_packet_without_any_request(tmp_path: Path, chromium) -> None:
    path = tmp_path / "packet.html"
    path.write_text(render_packet(load_form(GOOD), findings=lint_paths(GOOD)), encoding="utf-8")
    requests: list[str] = []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        loaded = page.evaluate("""async () => {
            await document.fonts.ready;
            return document.fonts.check('16px "FK Devanagari"', 'मराठी हिन्दी');
        }""")
        # the Devanagari text is drawn with the embedded font
        families = page.evaluate("""() => [...document.fonts]
            .filter(f => f.status === 'loaded').map(f => f.family)""")
        columns = page.evaluate("""() => {
            const row = document.querySelector('#q-ease .langs');
            return [...row.children].map(c => Math.round(c.getBoundingClientRect().left));
        }""")
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
    finally:
        page.close()
    assert requests == [path.as_uri()]
    assert loaded is True and any("FK Devanagari" in f for f in families)
    assert len(columns) == 3 and columns[0] < columns[1] < columns[2]   # side by side
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def _packet_msgids() -> list[object]:
    """Every string the packet, the diff and the forms commands translate."""
    import ast
    ids: list[object] = []
    forms_dir = ROOT / "fieldkit" / "forms"
    for name in ("review.py", "diff.py", "commands.py"):
        for node in ast.walk(ast.parse((forms_dir / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "N_":
                    ids.append(node.args[0].value)
                elif node.func.id == "ngettext":
                    ids.append((node.args[1].value, node.args[2].value))
    template = (forms_dir / "templates" / "review_packet.html.j2").read_text(encoding="utf-8")
    ids += re.findall(r'\b_\("((?:[^"\\]|\\.)*)"', template)
    ids += [tuple(m) for m in re.findall(r'ngettext\("([^"]*)", "([^"]*)"', template)]
    return ids


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_review_catalog_translates_every_packet_string(lang: str) -> None:
    from babel.messages.pofile import read_po
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "review.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    placeholders = re.compile(r"\{\w+\}|%\(\w+\)[sd]")
    for msgid in _packet_msgids():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        assert message is not None, f"{lang}: no entry for {msgid!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for s in strings:
            assert s, f"{lang}: empty translation of {msgid!r}"
            assert sorted(placeholders.findall(s)) == sorted(placeholders.findall(key)), \
                f"{lang}: placeholders differ in {msgid!r}"
            if lang != "en" and key.strip(" ,") and not key.startswith("{"):
                assert re.search(r"[\u0900-\u097F]", s) or "IRB" in s, (lang, msgid)


def test_packet_for_file_loads_lints_and_renders(tmp_path: Path) -> None:
    from fieldkit.forms import FormLoadError
    from fieldkit.forms.review import packet_for_file
    html = packet_for_file(GOOD, lang="mr", since=GOOD)
    assert '<html lang="mr">' in html and load_form(GOOD).hash in html
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [", encoding="utf-8")
    with pytest.raises(FormLoadError):
        packet_for_file(bad)
