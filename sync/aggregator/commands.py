"""``fieldkit aggregator ...``: run and administer the central aggregator.

Every command takes ``--db`` (or ``FIELDKIT_AGGREGATOR_DB``; default ``aggregator.db``).
Errors are printed as sentences (the catalogue's message and fix), never tracebacks.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from fieldkit.errors import FieldkitError
from fieldkit.i18n import N_, gettext, normalise_language


def _lang() -> str:
    """The admin's language: FIELDKIT_LANG, else the locale (LANG), else English."""
    return normalise_language(os.environ.get("FIELDKIT_LANG") or os.environ.get("LANG"))


def _t(message: str, **params: Any) -> str:
    return gettext(_lang(), message, **params)


def _db(ctx: click.Context) -> Any:
    from aggregator.db import open_aggregator_db
    return open_aggregator_db(ctx.obj["db_path"])


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FieldkitError as err:
            lang = _lang()
            fix = err.fix(lang)
            raise click.ClickException(err.message(lang) + (f"\n{fix}" if fix else "")) \
                from None
    return wrapper


@click.group()
@click.option("--db", "db_path", envvar="FIELDKIT_AGGREGATOR_DB", default="aggregator.db",
              show_default=True, type=click.Path(dir_okay=False),
              help="The aggregator's SQLite file.")
@click.pass_context
def aggregator(ctx: click.Context, db_path: str) -> None:
    """Run and administer the central aggregator."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path


@aggregator.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8400, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn worker processes (one per core).")
@click.option("--public-url", default=None, help="URL stations use (for QR codes).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, public_url: str | None) -> None:
    """Serve the aggregator with gunicorn (put a TLS reverse proxy in front in the field)."""
    from gunicorn.app.base import BaseApplication

    from aggregator.app import create_app

    config: dict[str, Any] = {"AGGREGATOR_DB": ctx.obj["db_path"]}
    if public_url:
        config["PUBLIC_URL"] = public_url
    conf_path = Path(__file__).with_name("gunicorn.conf.py")

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            namespace: dict[str, Any] = {}
            exec(compile(conf_path.read_text(encoding="utf-8"), str(conf_path), "exec"),
                 namespace)
            for key, value in namespace.items():
                if key in self.cfg.settings and value is not None and key != "wsgi_app":
                    self.cfg.set(key, value)
            self.cfg.set("bind", [f"{host}:{port}"])
            self.cfg.set("workers", workers)

        def load(self) -> Any:
            return create_app(config)

    _Server().run()


@aggregator.command()
@click.option("--study", "study_path", required=True, type=click.Path(exists=True),
              help="study.json (or its folder) from 'fieldkit study init'.")
@click.pass_context
@_friendly
def init(ctx: click.Context, study_path: str) -> None:
    """Create (or update) the aggregator database with the study's public configuration."""
    from aggregator.registry import set_study

    path = Path(study_path)
    if path.is_dir():
        path = path / "study.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise FieldkitError("crypto.study_invalid", path=str(path), reason="not JSON") from None
    stored = set_study(_db(ctx), data, source=str(path))
    click.echo(_t(N_("Study {study_id} is ready in {db} (keys: {keys})."),
                  study_id=stored["study_id"], db=ctx.obj["db_path"],
                  keys=", ".join(sorted(stored["public_keys"]))))


def _print_qr(text: str) -> None:
    import qrcode

    qr = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    click.echo(out.getvalue())


@aggregator.command("add-station")
@click.argument("name")
@click.option("--enumerators", default="", help="Enumerator codes, comma-separated (no names).")
@click.option("--url", "public_url", envvar="FIELDKIT_AGGREGATOR_PUBLIC_URL",
              default="http://127.0.0.1:8400", show_default=True,
              help="The aggregator URL the station will use.")
@click.option("--expires-hours", default=72.0, show_default=True, type=float)
@click.option("--new-token", is_flag=True, help="Issue a new code for an existing station.")
@click.option("--no-qr", is_flag=True, help="Print only the code text.")
@click.pass_context
@_friendly
def add_station(ctx: click.Context, name: str, enumerators: str, public_url: str,
                expires_hours: float, new_token: bool, no_qr: bool) -> None:
    """Create station NAME and print its one-time enrollment QR code."""
    from aggregator import stations

    db = _db(ctx)
    if new_token:
        token = stations.issue_token(db, name, ttl_hours=expires_hours)
    else:
        codes = [c.strip() for c in enumerators.split(",") if c.strip()]
        token = stations.create_station(db, name, enumerators=codes, ttl_hours=expires_hours)
    code = stations.enrollment_code(public_url, token)
    if not no_qr:
        _print_qr(code)
    click.echo(_t(N_("Enrollment code for station {station} (single use, expires in "
                     "{hours} hours):"), station=name, hours=f"{expires_hours:g}"))
    click.echo(code)


@aggregator.command("revoke-station")
@click.argument("name")
@click.pass_context
@_friendly
def revoke_station(ctx: click.Context, name: str) -> None:
    """Revoke station NAME: its credential stops working; its data is kept."""
    from aggregator import stations

    stations.revoke_station(_db(ctx), name)
    click.echo(_t(N_("Station {station} is revoked."), station=name))


@aggregator.command("register-forms")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.pass_context
@_friendly
def register_forms(ctx: click.Context, directory: str) -> None:
    """Register every form version in DIRECTORY (for IRB review and approval)."""
    from fieldkit.forms import load_forms

    from aggregator.registry import register_loaded_form

    db = _db(ctx)
    for form_id, form in sorted(load_forms(directory).items()):
        new = register_loaded_form(db, form)
        message = (N_("Form {form_id} version {version} ({hash}): registered.") if new else
                   N_("Form {form_id} version {version} ({hash}): already registered."))
        click.echo(_t(message, form_id=form_id, version=form.version, hash=form.hash))


@aggregator.command("approve-form")
@click.argument("form_hash")
@click.option("--irb-ref", required=True, help="The IRB's reference for the decision.")
@click.option("--date", "approved_on", required=True, help="Date of the decision, YYYY-MM-DD.")
@click.option("--approver", required=True, help="Who approved (IRB chair or committee).")
@click.option("--recorded-by", default=lambda: os.environ.get("USER", "cli"),
              help="Study admin recording the approval.")
@click.pass_context
@_friendly
def approve_form(ctx: click.Context, form_hash: str, irb_ref: str, approved_on: str,
                 approver: str, recorded_by: str) -> None:
    """Record the IRB's approval of form version FORM_HASH (stations field only these)."""
    from aggregator.registry import approve_form as record

    record(_db(ctx), form_hash, irb_reference=irb_ref, approved_on=approved_on,
           approver=approver, recorded_by=recorded_by)
    click.echo(_t(N_("Approval recorded for {hash} ({irb_ref}, {date})."), hash=form_hash,
                  irb_ref=irb_ref, date=approved_on))


@aggregator.command("set-quota")
@click.argument("form_id")
@click.argument("cell", nargs=-1, required=True)
@click.option("--target", required=True, type=click.IntRange(min=0))
@click.option("--tolerance", default=0, show_default=True, type=click.IntRange(min=0))
@click.pass_context
@_friendly
def set_quota(ctx: click.Context, form_id: str, cell: tuple[str, ...], target: int,
              tolerance: int) -> None:
    """Set the target of one quota cell, e.g. ``set-quota police site=pune --target 21``."""
    from fieldkit.quotas import cell_key

    from aggregator import quota_service
    from aggregator.db import transaction
    from aggregator.registry import audit

    values: dict[str, str] = {}
    for part in cell:
        field, sep, code = part.partition("=")
        if not sep or not field or not code:
            raise FieldkitError("sync.bad_cell", cell=part)
        values[field] = code
    try:
        key = cell_key(values)
    except ValueError:
        raise FieldkitError("sync.bad_cell", cell=" ".join(cell)) from None
    db = _db(ctx)
    with transaction(db):
        quota_service.set_target(db, form_id, key, target, tolerance)
        audit(db, "cli", "quota.set", f"{form_id} {key} {target}±{tolerance}")
    click.echo(_t(N_("{form_id} {cell}: target {target}, tolerance {tolerance}."),
                  form_id=form_id, cell=key, target=target, tolerance=tolerance))


@aggregator.command("import")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@click.option("--ack", "ack_path", type=click.Path(dir_okay=False), default=None,
              help="Write an ack file to carry back to the station ('fieldkit sync --ack').")
@click.option("--allow-unsigned", is_flag=True,
              help="Accept a bundle without a valid station signature.")
@click.pass_context
@_friendly
def import_bundle(ctx: click.Context, bundle: str, ack_path: str | None,
                  allow_unsigned: bool) -> None:
    """Ingest a USB bundle (same rules as network sync; resends count once)."""
    from aggregator.ingest import import_bundle as run

    result = run(_db(ctx), bundle, allow_unsigned=allow_unsigned, ack_path=ack_path)
    summary = result.summary()
    click.echo(_t(N_("accepted {accepted}, duplicates {duplicates}, conflicts {conflicts}, "
                     "duplicate content {duplicate_content}, rejected {rejected}"), **summary))
    for item in result.results:
        if item.status == "rejected":
            click.echo("  " + _t(N_("rejected {item}: {code}"),
                                 item=item.uuid or f"#{item.index}", code=item.code))


@aggregator.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "supervisor", "irb"]))
@click.password_option(help="Prompted (twice) if not given.")
@click.pass_context
@_friendly
def create_user(ctx: click.Context, username: str, role: str, password: str) -> None:
    """Create an aggregator account (admin, supervisor or irb)."""
    from aggregator.registry import create_user as make

    if len(password) < 10:
        raise click.ClickException(_t(N_("Use a password of at least 10 characters.")))
    make(_db(ctx), username, role, password)
    click.echo(_t(N_("User {username} ({role}) created."), username=username, role=role))


if __name__ == "__main__":  # pragma: no cover
    aggregator(sys.argv[1:])
