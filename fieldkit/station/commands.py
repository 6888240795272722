"""``fieldkit station ...`` and ``fieldkit sync``.

The station directory (station.db, journal/, study.json) comes from ``--dir`` or
``FIELDKIT_STATION_DIR`` (default ``var/station``).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

import click

from fieldkit.errors import FieldkitError
from fieldkit.i18n import gettext, normalise_language

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

dir_option = click.option(
    "--dir", "station_dir", envvar="FIELDKIT_STATION_DIR", default="var/station",
    show_default=True, type=click.Path(file_okay=False, path_type=Path),
    help="Station directory (station.db, journal/, study.json).")


def _lang() -> str:
    return normalise_language(os.environ.get("FIELDKIT_LANG") or os.environ.get("LANG"))


def _(message: str, **params: Any) -> str:
    return gettext(_lang(), message, **params)


class OfflineStation:
    """The station's files without the web app (for the CLI)."""

    def __init__(self, station_dir: Path) -> None:
        from fieldkit.outbox import Outbox
        from fieldkit.station.db import StationStore, open_station_db

        self.station_dir = Path(station_dir)
        self.db = open_station_db(self.station_dir)
        self.db_lock = threading.RLock()
        self.store = StationStore(self.db, self.db_lock)
        self.outbox = Outbox(self.db)
        self.training = False

    def reload_study(self) -> None:
        pass

    def close(self) -> None:
        self.db.close()


def _fail(exc: FieldkitError) -> None:
    raise click.ClickException(f"{exc.message(_lang())} {exc.fix(_lang())}".strip())


@click.group()
def station() -> None:
    """Run and set up a field station."""


@station.command("add-enumerator")
@click.argument("code")
@dir_option
def add_enumerator(code: str, station_dir: Path) -> None:
    """Add an enumerator CODE (no names); the PIN is chosen at first sign-in."""
    if not CODE_RE.match(code):
        raise click.BadParameter(_("Use letters, digits, '.', '_' or '-' (up to 64)."),
                                 param_hint="CODE")
    st = OfflineStation(station_dir)
    try:
        added = st.store.add_enumerator(code)
    finally:
        st.close()
    click.echo(_("Enumerator {code} added.", code=code) if added
               else _("Enumerator {code} already exists.", code=code))


@station.command("serve")
@dir_option
@click.option("--forms", "forms_dir", envvar="FIELDKIT_FORMS_DIR", default="forms",
              show_default=True, type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--training", is_flag=True, help="Training mode: every form, nothing syncs.")
@click.option("--idle-lock", default=300, show_default=True, type=int,
              help="Seconds without activity before the station locks.")
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--public-url", envvar="FIELDKIT_PUBLIC_URL", default=None,
              help="The address phones on the hotspot use (for self-administration QR "
                   "codes), e.g. http://10.42.0.1:8000. Default: guessed.")
def serve(station_dir: Path, forms_dir: str, host: str, port: int, training: bool,
          idle_lock: int, threads: int, public_url: str | None) -> None:
    """Serve the station with gunicorn (one process: interviews live in its memory)."""
    from gunicorn.app.base import BaseApplication

    from fieldkit.forms import FormLoadError
    from fieldkit.station.app import create_app
    from fieldkit.station.selfadmin import lan_address

    try:
        app = create_app({"STATION_DIR": str(station_dir), "FORMS_DIR": forms_dir,
                          "TRAINING": training, "IDLE_LOCK_SECONDS": idle_lock,
                          "SECRET_KEY": secrets.token_hex(32), "PUBLIC_URL": public_url})
    except FormLoadError as exc:
        raise click.ClickException(str(exc)) from None
    except FieldkitError as exc:
        _fail(exc)
    shown = host if host not in ("0.0.0.0", "::", "") else (lan_address() or "127.0.0.1")
    address = (public_url.rstrip("/") + "/") if public_url else f"http://{shown}:{port}/"
    click.echo(_("Field station at {url}", url=address))
    if training:
        click.echo(_("TRAINING mode: nothing is sent."))
    try:
        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(address)
        qr.print_ascii(invert=True)
    except Exception:  # a terminal that cannot show it: the address above is enough
        pass

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)           # interviews are held in this process
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", None)      # URLs hold opaque ids only, but keep no log
            self.cfg.set("timeout", 120)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)   # nothing outside --dir

        def load(self) -> Any:
            return app

    _Gunicorn().run()


@station.command("enroll")
@click.argument("url")
@click.argument("token", required=False)
@dir_option
def enroll(url: str, token: str | None, station_dir: Path) -> None:
    """Enroll this station with the aggregator at URL using a one-time TOKEN.

    Instead of URL TOKEN, the enrollment code as the admin's QR code shows it (JSON) may
    be pasted as the only argument.
    """
    from aggregator.client import SyncClient, parse_enrollment_code

    from fieldkit.station.syncing import apply_enrollment

    st = OfflineStation(station_dir)
    try:
        if token is None:
            url, token = parse_enrollment_code(url)
        reply = SyncClient.enroll(url, token, lang=_lang())
        apply_enrollment(st, url, reply)
    except FieldkitError as exc:
        _fail(exc)
    finally:
        st.close()
    click.echo(_("Enrolled as station {code}.", code=reply["station_code"]))


@click.command()
@dir_option
@click.option("--to-file", "bundle", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the waiting submissions to a file (USB) instead of the network.")
@click.option("--apply-ack", "ack", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mark as synced what an aggregator's ack file for a bundle acknowledges.")
def sync(station_dir: Path, bundle: Path | None, ack: Path | None) -> None:
    """Send sealed submissions to the aggregator."""
    from fieldkit.station.syncing import run_sync

    st = OfflineStation(station_dir)
    try:
        if ack is not None:
            from aggregator.client import apply_ack

            n = apply_ack(st.outbox, ack)
            click.echo(_("{n} submissions marked as synced.", n=n))
            return
        if bundle is not None:
            from aggregator.client import write_bundle

            n = write_bundle(st.outbox, bundle, station_code=st.store.get("station_code"),
                             credential=st.store.get("credential"))
            click.echo(_("{n} submissions written to {path}.", n=n, path=str(bundle)))
            return
        with click.progressbar(length=1, label=_("Sending")) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            result = run_sync(st, progress=progress)
        click.echo(_("Accepted {a}, already there {d}, rejected {r}.", a=result.accepted,
                      d=result.duplicates + result.duplicate_content + result.conflicts,
                      r=len(result.rejected)))
        for uid, code in result.rejected:
            click.echo(f"  {uid}: {code}")
    except FieldkitError as exc:
        _fail(exc)
    finally:
        st.close()
