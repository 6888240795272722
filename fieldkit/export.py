"""Export for the analyst: decrypt sealed submissions, write CSV and a codebook.

Runs on the analyst's machine, the only place the study private key is used.

Sources (``--in``), detected by content, not by name:

* a **station database** (``station.db``: the ``outbox`` table),
* the **aggregator database** (``submissions`` + ``ciphertexts``; the aggregator's
  verdict -- accepted / duplicate_content / conflict -- is carried into the export),
* a **bundle** (``.jsonl`` written by ``write_bundle``: meta line, wire items, end
  line) or any JSON Lines / JSON file of wire items,
* a **folder** holding any of these (searched recursively), including a station
  folder copied as is: raw crash journals (``journal/*.fkj``) of a station that never
  restarted are read directly (as "interrupted"), unless the outbox already holds
  that interview.

The same (uuid, ct_hash) seen in several sources is exported once.

Output (``--out``; files created 0600, they hold plaintext)::

    index.csv                   every submission seen: header fields, status, error
    <form_id>/submissions.csv   one row per decrypted submission: header fields, then
                                one column per question (option/band codes; multiple
                                choice and ranking as space-separated codes; reserved
                                _dk / _pna / _skip as is; not shown = empty; a text
                                starting with = + - @ gets a leading ' so that no
                                spreadsheet runs it as a formula)
    <form_id>/submissions.jsonl the full decrypted payloads (answers + paradata)
    <form_id>/codebook.csv      variable, type, section, labels and options in en/hi/mr,
    <form_id>/codebook.json     relevance (skip logic), constraint, reserved codes
    <form_id>/codebook_<hash12>.{csv,json}  the same for every other form version the
                                submissions name (versions come from the forms folder
                                and from the aggregator database's form registry)

Deviation from the first sketch (one ``submissions.csv``): a study has several forms
with different questions, so each form gets its own folder; ``index.csv`` is the
one file listing every submission, including the ones that failed.

A submission that cannot be opened (wrong key, tampered, malformed) is listed in
``index.csv`` with the error naming it; every other submission still exports.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
from datetime import datetime, timezone
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from fieldkit.crypto import PrivateKeys, open_sealed
from fieldkit.envelope import SealedItem
from fieldkit.errors import FieldkitError
from fieldkit.i18n import LANGUAGES, N_, gettext

HEADER_COLUMNS = ("uuid", "form_id", "form_version", "form_hash", "form_hash_known", "key_id",
                  "station", "enumerator", "site", "quota", "outcome", "keep_partial",
                  "started_at", "ended_at", "n_answered", "over_quota", "training", "payload",
                  "fingerprint", "aggregator_status", "lang", "journal_complete")
INDEX_COLUMNS = ("uuid", "ct_hash", "form_id", "form_hash", "station", "enumerator", "outcome",
                 "ended_at", "source", "aggregator_status", "status", "error_code", "error")

HEADER_DESCRIPTIONS: dict[str, str] = {
    "uuid": N_("Submission id (random, identifies nobody)"),
    "form_id": N_("Form (questionnaire) id"),
    "form_version": N_("Form version label, when this form version is known"),
    "form_hash": N_("Content hash of the IRB-approved form version used"),
    "form_hash_known": N_("true if exactly this form version is known (forms folder or "
                          "aggregator registry)"),
    "key_id": N_("Study key the submission was sealed to"),
    "station": N_("Station code"),
    "enumerator": N_("Enumerator code"),
    "site": N_("Site code"),
    "quota": N_("Quota cell, as field=code pairs"),
    "outcome": N_("completed, terminated, refused, ineligible or interrupted (crash)"),
    "keep_partial": N_("Terminated: the respondent allowed keeping the answers so far"),
    "started_at": N_("Start time (UTC)"),
    "ended_at": N_("End time (UTC)"),
    "n_answered": N_("Questions answered (interrupted: journal events)"),
    "over_quota": N_("Completed after the station's quota allocation was spent"),
    "training": N_("Training interview, not study data"),
    "payload": N_("hpke = finished interview; journal = recovered after a crash"),
    "fingerprint": N_("Keyed exact-duplicate fingerprint"),
    "aggregator_status": N_("Aggregator verdict: accepted, duplicate_content or conflict"),
    "lang": N_("Interview language"),
    "journal_complete": N_("Interrupted: false if the journal's last record was damaged"),
}
RESERVED_DESCRIPTIONS = {"_dk": N_("Don't know"), "_pna": N_("Prefer not to answer"),
                         "_skip": N_("Shown, skipped")}


@dataclass
class SourceItem:
    origin: str
    item: SealedItem | None = None
    uuid: str = "?"
    aggregator_status: str | None = None
    error: FieldkitError | None = None
    journal: bytes | None = None            # a raw crash journal (.fkj) ...
    journal_header: dict[str, Any] | None = None   # ... and the header it implies


@dataclass
class ExportResult:
    seen: int = 0
    exported: int = 0
    skipped_training: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)   # uuid, code, message
    per_form: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


# --- reading sources ---------------------------------------------------------------------

def _wire_items(lines: Iterable[Any], origin: str) -> Iterator[SourceItem]:
    for n, obj in enumerate(lines, start=1):
        if isinstance(obj, dict) and ("fieldkit_bundle" in obj or obj.get("end") is True):
            continue
        where = f"{origin}:{n}"
        header = obj.get("header") if isinstance(obj, dict) else None
        uid = header.get("uuid", "?") if isinstance(header, dict) else "?"
        try:
            yield SourceItem(where, SealedItem.from_wire(obj), str(uid))
        except FieldkitError as err:
            yield SourceItem(where, None, str(uid), error=err)


def _read_json_file(path: Path) -> Iterator[SourceItem]:
    """A JSON file (one wire item or a list of them) or JSON Lines (bundles included)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, (list, dict)):
        yield from _wire_items(data if isinstance(data, list) else [data], str(path))
        return
    objs: list[Any] = []
    for line in text.splitlines():
        if line.strip():
            try:
                objs.append(json.loads(line))
            except ValueError:
                objs.append(None)
    yield from _wire_items(objs, str(path))


def _sqlite_tables(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _read_sqlite(path: Path) -> Iterator[SourceItem]:
    tables = _sqlite_tables(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if "outbox" in tables:
            rows = conn.execute("SELECT header, ciphertext, ct_hash, NULL FROM outbox"
                                " ORDER BY seq").fetchall()
        elif {"submissions", "ciphertexts"} <= tables:
            rows = conn.execute(
                "SELECT s.header, c.ciphertext, s.ct_hash, s.status FROM submissions s"
                " JOIN ciphertexts c ON c.submission_id = s.id ORDER BY s.id").fetchall()
        else:
            raise FieldkitError("export.unknown_source", path=str(path))
    finally:
        conn.close()
    for header_json, ciphertext, ct_hash, status in rows:
        try:
            header = json.loads(header_json)
        except ValueError:
            header = {}
        uid = str(header.get("uuid", "?")) if isinstance(header, dict) else "?"
        item = SealedItem(header=header if isinstance(header, dict) else {},
                          ciphertext=bytes(ciphertext), ct_hash=str(ct_hash))
        yield SourceItem(str(path), item, uid, aggregator_status=status)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def read_source(path: str | os.PathLike[str]) -> list[SourceItem]:
    """Every item in ``path`` (file or folder), each (uuid, ct_hash) once."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and (
            p.suffix in (".db", ".sqlite", ".jsonl", ".json", ".bundle", ".fkb", ".fkj")))
        found: list[SourceItem] = []
        for f in files:
            if f.name.endswith(("-wal", "-shm")):
                continue
            try:
                found.extend(_read_one(f))
            except FieldkitError:
                continue            # a foreign file in the folder: not ours
        if not files:
            raise FieldkitError("export.unknown_source", path=str(path))
        return _dedupe(found)
    return _dedupe(list(_read_one(path)))


def _read_journal_file(path: Path) -> Iterator[SourceItem]:
    """A crash journal copied off a station that never restarted to recover it."""
    from fieldkit.envelope import utc_timestamp
    from fieldkit.journal import MAGIC, journal_header

    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise FieldkitError("export.unknown_source", path=str(path))
    ended = utc_timestamp(datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))
    try:
        header = journal_header(data, ended)
    except (ValueError, UnicodeDecodeError, FieldkitError):
        yield SourceItem(str(path), None, path.stem, error=FieldkitError(
            "crypto.bad_item", uuid=path.stem, reason="the crash journal is damaged"))
        return
    if header is not None:
        yield SourceItem(str(path), None, str(header["uuid"]), journal=data,
                         journal_header=header)


def _read_one(path: Path) -> Iterator[SourceItem]:
    if path.suffix == ".fkj":
        return _read_journal_file(path)
    if _is_sqlite(path):
        return _read_sqlite(path)
    try:
        items = list(_read_json_file(path))
    except (UnicodeDecodeError, OSError):
        raise FieldkitError("export.unknown_source", path=str(path)) from None
    if items and all(i.error is not None and i.uuid == "?" for i in items):
        raise FieldkitError("export.unknown_source", path=str(path))
    return iter(items)


def _dedupe(items: list[SourceItem]) -> list[SourceItem]:
    """Each (uuid, ct_hash) once; a raw journal only if no sealed item has its uuid
    (a sealed one is either the finished interview or the journal already recovered)."""
    sealed = {si.uuid for si in items if si.item is not None}
    seen: set[tuple[str, str]] = set()
    out: list[SourceItem] = []
    for si in items:
        if si.journal is not None:
            if si.uuid in sealed or (si.uuid, "journal") in seen:
                continue
            seen.add((si.uuid, "journal"))
        if si.item is not None:
            key = (si.uuid, si.item.ct_hash)
            if key in seen:
                continue
            seen.add(key)
        out.append(si)
    return out


# --- codebook ------------------------------------------------------------------------------

def _text(value: Any) -> dict[str, str]:
    if value is None:
        return {lang: "" for lang in LANGUAGES}
    return {lang: str(value.get(lang, "")) for lang in LANGUAGES}


def _section_relevance(form: Any, question: Any) -> str | None:
    for s in form.sections:
        if s.id == question.section and s.relevant is not None:
            return s.relevant.source
    return None


def answer_questions(form: Any) -> list[Any]:
    """Questions that carry an answer (notes do not), eligibility first, in form order."""
    return [q for q in form.all_questions if q.type != "note"]


def codebook(form: Any) -> dict[str, Any]:
    """The codebook of one form version as a JSON-ready dict."""
    reserved = {code: {lang: gettext(lang, desc) for lang in LANGUAGES}
                for code, desc in RESERVED_DESCRIPTIONS.items()}
    for code, key in (("_dk", "dont_know"), ("_pna", "prefer_not_to_answer")):
        if key in form.builtin:
            reserved[code] = _text(form.builtin[key])
    variables = []
    for q in answer_questions(form):
        variables.append({
            "name": q.id, "type": q.type, "section": q.section,
            "label": _text(q.label), "hint": _text(q.hint) if q.hint else None,
            "options": [{"code": o.code, "label": _text(o.label)} for o in q.options],
            "bands": [{"code": b.code, "min": b.min, "max": b.max, "label": _text(b.label)}
                      for b in q.bands],
            "unit": _text(q.unit) if q.unit else None,
            "rank": q.rank, "exclusive": list(q.exclusive),
            "dont_know": q.dont_know, "prefer_not_to_answer": q.prefer_not_to_answer,
            "relevant": q.relevant.source if q.relevant is not None else None,
            "section_relevant": _section_relevance(form, q),
            "constraint": q.constraint.source if q.constraint is not None else None,
            "encoding": _encoding(q.type),
        })
    return {
        "form_id": form.id, "form_version": form.version, "form_hash": form.hash,
        "title": _text(form.title), "languages": list(LANGUAGES),
        "reserved_codes": reserved,
        "header_variables": [{"name": c, "description": {
            lang: gettext(lang, HEADER_DESCRIPTIONS[c]) for lang in LANGUAGES}}
            for c in HEADER_COLUMNS],
        "variables": variables,
    }


def _encoding(qtype: str) -> str:
    return {"multiple_choice": "space-separated option codes, in option order",
            "ranking": "space-separated option codes, rank 1 first",
            "banded_number": "band code (the number typed is never stored)",
            "text": "free text, PII redacted at the station",
            "long_text": "free text, PII redacted at the station"}.get(qtype, "option code")


def _codebook_rows(book: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for c in book["header_variables"]:
        rows.append({"variable": c["name"], "type": "header", "section": "",
                     **{f"label_{lang}": c["description"][lang] for lang in LANGUAGES},
                     "description": "clear header field"})
    for v in book["variables"]:
        row = {"variable": v["name"], "type": v["type"], "section": v["section"],
               "description": v["encoding"]}
        choices = v["options"] or v["bands"]
        for lang in LANGUAGES:
            row[f"label_{lang}"] = v["label"][lang]
            row[f"options_{lang}"] = "; ".join(f"{o['code']}={o['label'][lang]}"
                                               for o in choices)
        reserved = [code for code, flag in (("_dk", v["dont_know"]),
                                            ("_pna", v["prefer_not_to_answer"])) if flag]
        row["reserved_codes"] = " ".join(reserved + ["_skip"])
        row["relevant"] = " and ".join(f"({e})" for e in (v["section_relevant"], v["relevant"])
                                       if e)
        row["constraint"] = v["constraint"] or ""
        row["rank"] = "" if v["rank"] is None else str(v["rank"])
        rows.append(row)
    return rows


CODEBOOK_COLUMNS = ("variable", "type", "section", *(f"label_{lang}" for lang in LANGUAGES),
                    *(f"options_{lang}" for lang in LANGUAGES), "reserved_codes", "relevant",
                    "constraint", "rank", "description")


# --- writing --------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={_cell(v)}" for k, v in sorted(value.items()))
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(text: str) -> str:
    """Neutralise spreadsheet formulas in answer cells (CSV injection): a respondent on
    their own phone could type ``=HYPERLINK(...)`` and the analyst opens the CSV in a
    spreadsheet. Such a cell gets a leading apostrophe; submissions.jsonl keeps the
    exact text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _private_open(path: Path) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _open_raw_journal(si: SourceItem, private_key: PrivateKeys) -> dict[str, Any]:
    from fieldkit.journal import read_journal

    header = si.journal_header or {}
    key_id = str(header.get("key_id"))
    if isinstance(private_key, Mapping):
        key = private_key.get(key_id)
        if key is None:
            raise FieldkitError("crypto.unknown_key", uuid=si.uuid, key_id=key_id)
    else:
        key = private_key
    _, payload = read_journal(si.journal or b"", key, uuid=si.uuid)
    payload["paradata"]["raw_journal"] = True
    return payload


def form_versions_in(source: str | os.PathLike[str]) -> dict[str, Any]:
    """Form versions registered in aggregator databases under ``source``: hash -> Form.

    The aggregator keeps the YAML of every version it was given (the IRB's record),
    so submissions of an older version get that version's codebook even when the
    forms folder has moved on. A version whose YAML no longer loads to its hash is
    skipped.
    """
    import yaml

    from fieldkit.forms import FormLoadError
    from fieldkit.forms.loader import load_form_data

    path = Path(source)
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    found: dict[str, Any] = {}
    for f in files:
        try:
            if not _is_sqlite(f) or "form_versions" not in _sqlite_tables(f):
                continue
            conn = sqlite3.connect(f"file:{f}?mode=ro", uri=True)
            try:
                rows = conn.execute("SELECT hash, source FROM form_versions").fetchall()
            finally:
                conn.close()
        except (OSError, sqlite3.Error):
            continue
        for form_hash, text in rows:
            try:
                form, _ = load_form_data(yaml.safe_load(text or ""), f"aggregator:{form_hash[:12]}")
            except (FormLoadError, yaml.YAMLError, ValueError, TypeError):
                continue
            if form.hash == form_hash:
                found[form_hash] = form
    return found


def _write_codebook(folder: Path, stem: str, form: Any) -> list[Path]:
    book = codebook(form)
    with _private_open(folder / f"{stem}.json") as fh:
        json.dump(book, fh, ensure_ascii=False, indent=2)
    with _private_open(folder / f"{stem}.csv") as fh:
        writer = csv.DictWriter(fh, fieldnames=CODEBOOK_COLUMNS)
        writer.writeheader()
        for crow in _codebook_rows(book):
            writer.writerow({c: crow.get(c, "") for c in CODEBOOK_COLUMNS})
    return [folder / f"{stem}.json", folder / f"{stem}.csv"]


def export_submissions(source: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                       private_key: PrivateKeys, forms: Mapping[str, Any], *,
                       include_training: bool = False, force: bool = False,
                       items: list[SourceItem] | None = None,
                       versions: Mapping[str, Any] | None = None,
                       progress: Callable[[int], None] | None = None) -> ExportResult:
    """Decrypt every submission in ``source`` and write the files described above.

    ``forms`` (id -> Form) is the forms folder; ``versions`` (hash -> Form) adds older
    versions (by default: those registered in an aggregator database in ``source``).
    Each submission is labelled with the exact version it names when it is known.
    """
    out_dir = Path(out_dir)
    if (out_dir / "index.csv").exists() and not force:
        raise FieldkitError("export.out_not_empty", path=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    items = read_source(source) if items is None else items
    known: dict[str, Any] = dict(form_versions_in(source) if versions is None else versions)
    known.update({f.hash: f for f in forms.values()})
    result = ExportResult()
    index_rows: list[dict[str, str]] = []
    per_form_rows: dict[str, list[dict[str, str]]] = {}
    per_form_json: dict[str, list[dict[str, Any]]] = {}
    used: dict[str, dict[str, int]] = {}          # form_id -> {form_hash: n}

    for si in items:
        if progress:
            progress(1)
        header = si.item.header if si.item is not None else (si.journal_header or {})
        result.seen += 1
        row = {"uuid": si.uuid, "ct_hash": si.item.ct_hash if si.item else "",
               "source": si.origin, "aggregator_status": si.aggregator_status or ""}
        for col in ("form_id", "form_hash", "station", "enumerator", "outcome", "ended_at"):
            row[col] = _cell(header.get(col))
        err = si.error
        payload: dict[str, Any] | None = None
        if err is None and si.item is not None:
            try:
                payload = open_sealed(si.item, private_key)
            except FieldkitError as exc:
                err = exc
        elif err is None and si.journal is not None:
            try:
                payload = _open_raw_journal(si, private_key)
            except FieldkitError as exc:
                err = exc
        if err is not None or payload is None:
            err = err or FieldkitError("crypto.bad_item", uuid=si.uuid, reason="unreadable")
            row.update(status="failed", error_code=err.code, error=err.message("en"))
            result.failed.append((si.uuid, err.code, err.message("en")))
            index_rows.append(row)
            continue
        if header.get("training") is True and not include_training:
            # Opened first, so a tampered "training" flag cannot hide a submission.
            row.update(status="skipped_training", error_code="", error="")
            index_rows.append(row)
            result.skipped_training += 1
            continue
        row.update(status="exported", error_code="", error="")
        index_rows.append(row)
        result.exported += 1
        form_id, form_hash = str(header["form_id"]), str(header["form_hash"])
        result.per_form[form_id] = result.per_form.get(form_id, 0) + 1
        used.setdefault(form_id, {})
        used[form_id][form_hash] = used[form_id].get(form_hash, 0) + 1
        form = known.get(form_hash)
        if form is not None and form.id != form_id:
            form = None                     # the hash names another form: treat as unknown
        answers = payload["answers"]
        paradata = payload["paradata"]
        csv_row = {c: _cell(header.get(c)) for c in HEADER_COLUMNS if c in header}
        csv_row["form_version"] = str(form.version) if form is not None else ""
        csv_row["form_hash_known"] = _cell(form is not None)
        csv_row["quota"] = _cell(header.get("quota") or {})
        csv_row["aggregator_status"] = si.aggregator_status or ""
        csv_row["lang"] = _cell(paradata.get("lang") or paradata.get("language"))
        csv_row["journal_complete"] = _cell(paradata.get("journal_complete"))
        for qid, value in answers.items():
            csv_row[f"q:{qid}"] = _defuse(_cell(value))
        per_form_rows.setdefault(form_id, []).append(csv_row)
        per_form_json.setdefault(form_id, []).append(
            {"header": header, "answers": answers, "paradata": paradata,
             "aggregator_status": si.aggregator_status})

    for form_id, rows in sorted(per_form_rows.items()):
        folder = out_dir / form_id
        folder.mkdir(exist_ok=True, mode=0o700)
        counts = used[form_id]
        # The primary version: the forms folder's, else the most used known version.
        primary = forms.get(form_id)
        if primary is None:
            known_used = sorted((n, h) for h, n in counts.items()
                                if h in known and known[h].id == form_id)
            primary = known[known_used[-1][1]] if known_used else None
        unknown = sorted(h for h in counts if h not in known or known[h].id != form_id)
        for form_hash in unknown:
            result.warnings.append(
                f"form {form_id} version {form_hash[:12]} is not in the forms folder "
                f"({counts[form_hash]} submission(s)): answers are in submissions.jsonl and "
                "in columns without a codebook entry")
        qids: list[str] = []
        for form in [primary] + [known[h] for h in sorted(counts) if h not in unknown]:
            if form is not None:
                qids += [q.id for q in answer_questions(form) if q.id not in qids]
        extra = sorted({k[2:] for r in rows for k in r if k.startswith("q:")} - set(qids))
        if extra and primary is not None:
            result.warnings.append(f"{form_id}: answers to questions in no known version: "
                                   + ", ".join(extra))
        columns = list(HEADER_COLUMNS) + qids + extra
        with _private_open(folder / "submissions.csv") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for r in rows:
                writer.writerow({**{c: r.get(c, "") for c in HEADER_COLUMNS},
                                 **{q: r.get(f"q:{q}", "") for q in qids + extra}})
        with _private_open(folder / "submissions.jsonl") as fh:
            for obj in per_form_json[form_id]:
                fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
        result.files += [folder / "submissions.csv", folder / "submissions.jsonl"]
        if primary is not None:
            result.files += _write_codebook(folder, "codebook", primary)
        for form_hash in sorted(counts):
            if form_hash not in unknown and (primary is None or form_hash != primary.hash):
                result.files += _write_codebook(folder, f"codebook_{form_hash[:12]}",
                                                known[form_hash])

    with _private_open(out_dir / "index.csv") as fh:
        writer = csv.DictWriter(fh, fieldnames=INDEX_COLUMNS)
        writer.writeheader()
        writer.writerows(index_rows)
    result.files.append(out_dir / "index.csv")
    return result


def run_export_cli(key_paths: list[Path], source: Path, out_dir: Path, forms_dir: Path, *,
                   passphrase: str, include_training: bool = False, force: bool = False) -> None:
    """The body of ``fieldkit export`` (click only for output and the progress bar)."""
    import click

    from fieldkit.forms import FormLoadError, load_forms
    from fieldkit.study import load_private_keys

    keys = load_private_keys(list(key_paths), passphrase)
    try:
        forms = load_forms(forms_dir) if Path(forms_dir).is_dir() else {}
    except FormLoadError as exc:
        raise FieldkitError("export.no_forms", path=str(forms_dir), reason=str(exc)) from None
    if not forms:
        click.echo(f"warning: no forms in {forms_dir}; answers go to submissions.jsonl and "
                   "unlabelled columns", err=True)
    items = read_source(source)
    with click.progressbar(length=len(items), label="Decrypting", file=sys.stderr) as bar:
        result = export_submissions(source, out_dir, keys, forms, items=items,
                                    include_training=include_training, force=force,
                                    progress=bar.update)
    for form_id, n in sorted(result.per_form.items()):
        click.echo(f"{form_id}: {n} submission(s) -> {out_dir / form_id / 'submissions.csv'}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for uuid, code, message in result.failed:
        click.echo(f"FAILED {uuid}: {message}", err=True)
    click.echo(f"{result.exported} exported, {len(result.failed)} failed; "
               f"index: {out_dir / 'index.csv'}")
    if result.exported:
        click.echo(f"{out_dir} now holds decrypted answers: keep it on an encrypted drive "
                   "and never copy it back to a station or the aggregator.", err=True)
    if result.failed:
        raise SystemExit(1)
