"""``make run``: a demo study on this machine -- an aggregator and a field station on
SQLite, wired together, with the study's six forms.

First run: creates a study key (the private key in DIR/analyst/, passphrase printed
below: a demo, not a field set-up), an aggregator database with the forms registered,
a recorded approval marked as a demo (not an IRB decision), the study's quota targets
(../shared/STUDY.md), one station with enumerators E01 and E02, and accounts for the
three aggregator roles. Every later run reuses DIR. Then it serves both until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import click

DEMO_PASSPHRASE = "demo passphrase - not for the field"
DEMO_PASSWORDS = {"admin": "demo-admin-pass", "supervisor": "demo-supervisor-pass",
                  "irb": "demo-irb-pass"}
ENUMERATORS = ("E01", "E02")

# Quota targets from the study (../shared/STUDY.md): achieved n per site.
QUOTAS: dict[str, dict[str, int]] = {
    "general_population": {"mumbai": 201, "palghar": 196, "nagpur": 160, "pune": 112,
                           "thane": 106, "kalyan": 47},          # split ~50/50 by gender
    "potential_customers": {"mumbai": 70, "pune": 61, "palghar": 60, "thane": 60, "nagpur": 58},
    "police": {"nagpur": 24, "pune": 21, "thane": 20, "palghar": 19, "navi_mumbai": 14},
}


def _fieldkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "fieldkit", *args]


def _setup_aggregator(root: Path, forms_dir: Path) -> str:
    """Create the study and the aggregator database; return a station enrollment token."""
    from aggregator import quota_service, registry, stations
    from aggregator.db import open_aggregator_db, transaction
    from fieldkit.forms import load_forms
    from fieldkit.quotas import cell_key
    from fieldkit.study import init_study

    study_dir, key_path = root / "study", root / "analyst" / "study-key.pem"
    config = init_study(study_dir, key_path, DEMO_PASSPHRASE, study_id="maharashtra_csec")
    db = open_aggregator_db(root / "aggregator.db")
    forms = load_forms(forms_dir)
    registry.set_study(db, config.to_dict(), source=str(study_dir / "study.json"))
    for form in forms.values():
        registry.register_loaded_form(db, form, actor="demo")
        registry.approve_form(db, form.hash, irb_reference="DEMO (not an IRB decision)",
                              approved_on=date.today().isoformat(), approver="make run",
                              recorded_by="demo")
    with transaction(db):
        for form_id, sites in QUOTAS.items():
            if form_id not in forms:
                continue
            for site, n in sites.items():
                if form_id == "general_population":
                    for gender in ("male", "female"):
                        quota_service.set_target(db, form_id,
                                                 cell_key({"site": site, "gender": gender}),
                                                 (n + 1) // 2, tolerance=2)
                else:
                    quota_service.set_target(db, form_id, cell_key({"site": site}), n, 2)
    for role, password in DEMO_PASSWORDS.items():
        registry.create_user(db, f"demo_{role}", role, password, actor="demo")
    stations.create_station(db, "demo_station", enumerators=ENUMERATORS, actor="demo")
    token = stations.issue_token(db, "demo_station")
    db.conn.close()
    return token


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"the server for {url} stopped (exit {proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.3)
    raise click.ClickException(f"{url} did not answer within {seconds:.0f} s")


@click.command()
@click.option("--dir", "root", default="var/demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--forms", "forms_dir", default="forms", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--station-host", default=os.environ.get("STATION_HOST", "127.0.0.1"),
              show_default=True, help="0.0.0.0 to serve phones on this laptop's hotspot.")
@click.option("--station-port", default=8300, show_default=True)
@click.option("--aggregator-port", default=8400, show_default=True)
def main(root: Path, forms_dir: Path, station_host: str, station_port: int,
         aggregator_port: int) -> None:
    """Start a demo study: aggregator and field station on SQLite."""
    agg_url = f"http://127.0.0.1:{aggregator_port}"
    station_dir = root / "station"
    first_run = not (root / "aggregator.db").exists()
    token = _setup_aggregator(root, forms_dir) if first_run else None
    procs: list[subprocess.Popen] = []

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        procs.append(subprocess.Popen(_fieldkit(
            "aggregator", "--db", str(root / "aggregator.db"), "serve", "--host", "127.0.0.1",
            "--port", str(aggregator_port), "--workers", "1", "--public-url", agg_url)))
        _wait_for(f"{agg_url}/api/v1/ping", procs[0])
        if token:
            # Enrollment brings the station its enumerator codes (E01, E02).
            subprocess.run(_fieldkit("station", "enroll", agg_url, token, "--dir",
                                     str(station_dir)), check=True)
        click.echo(click.style("\nfieldkit demo study", bold=True))
        click.echo(f"  aggregator   {agg_url}/   accounts: "
                   + ", ".join(f"demo_{r} / {p}" for r, p in DEMO_PASSWORDS.items()))
        click.echo(f"  enumerators  {', '.join(ENUMERATORS)} (choose a PIN at first sign-in)")
        click.echo(f"  analyst key  {root / 'analyst' / 'study-key.pem'} "
                   f"(passphrase: {DEMO_PASSPHRASE!r})")
        click.echo(f"  export       FIELDKIT_PASSPHRASE='{DEMO_PASSPHRASE}' fieldkit export "
                   f"--key {root / 'analyst' / 'study-key.pem'} --in {root / 'aggregator.db'} "
                   f"--out {root / 'export'}\n")
        procs.append(subprocess.Popen(_fieldkit(
            "station", "serve", "--dir", str(station_dir), "--forms", str(forms_dir),
            "--host", station_host, "--port", str(station_port))))
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise click.ClickException("a server stopped; see its messages above")
    except KeyboardInterrupt:
        pass
    finally:
        stop()


if __name__ == "__main__":
    main()
