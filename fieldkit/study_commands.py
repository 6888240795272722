"""``fieldkit study init|rotate-key|show`` and ``fieldkit export``.

The passphrase is prompted (hidden, confirmed when a key is created) or taken from
the environment variable ``FIELDKIT_PASSPHRASE`` for scripts; it is never a command
line option (command lines are visible to other users in ``ps``).
"""

from __future__ import annotations

import os
from functools import wraps
from pathlib import Path
from typing import Any, Callable

import click

from fieldkit.errors import FieldkitError

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a FieldkitError into a one-paragraph message, never a traceback."""
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FieldkitError as err:
            raise click.ClickException(f"{err.message('en')}\n{err.fix('en')}") from None
        except OSError as err:       # unwritable --out, full disk, unreadable source
            where = f" ({err.filename})" if err.filename else ""
            raise click.ClickException(f"{err.strerror or err}{where}") from None
    return wrapper


def get_passphrase(*, confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    return click.prompt("Passphrase for the study private key", hide_input=True,
                        confirmation_prompt=confirm)


@click.group()
def study() -> None:
    """Create and manage a study's keys and configuration."""


@study.command("init")
@click.argument("study_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the passphrase-protected private key (outside STUDY_DIR).")
@click.option("--id", "study_id", default=None, help="Study id (default: the folder name).")
@_friendly
def init_command(study_dir: Path, key_path: Path, study_id: str | None) -> None:
    """Create a study: key pair, key id, and STUDY_DIR/study.json for stations."""
    from fieldkit.study import check_passphrase, init_study
    passphrase = get_passphrase(confirm=True)
    check_passphrase(passphrase)
    config = init_study(study_dir, key_path, passphrase, study_id=study_id)
    click.echo(f"Study {config.study_id} created in {study_dir / 'study.json'}")
    click.echo(f"Key id {config.current_key_id}; private key written to {key_path}")
    click.echo("Keep the private key file and its passphrase apart, and make an offline copy.")


@study.command("rotate-key")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new private key (outside STUDY_DIR).")
@_friendly
def rotate_command(study_dir: Path, key_path: Path) -> None:
    """Add a new key pair and make it current; submissions sealed earlier keep theirs."""
    from fieldkit.study import check_passphrase, rotate_key
    passphrase = get_passphrase(confirm=True)
    check_passphrase(passphrase)
    config = rotate_key(study_dir, key_path, passphrase)
    click.echo(f"New current key id {config.current_key_id}; private key written to {key_path}")
    click.echo("Stations pick up the new public key at their next enrolment or sync.")


@study.command("show")
@click.argument("study_dir", type=click.Path(exists=True, path_type=Path))
@_friendly
def show_command(study_dir: Path) -> None:
    """Show the study id and its key ids (nothing secret)."""
    from fieldkit.study import StudyConfig
    config = StudyConfig.load(study_dir)
    click.echo(f"study {config.study_id} (created {config.created_at})")
    for kid in config.public_keys:
        click.echo(f"  key {kid}{'  (current)' if kid == config.current_key_id else ''}")


@click.command()
@click.option("--key", "key_paths", required=True, multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Study private key file; repeat for rotated keys.")
@click.option("--in", "source", required=True, type=click.Path(exists=True, path_type=Path),
              help="station.db, the aggregator database, a bundle (.jsonl) or a folder of them.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the CSV files and the codebook.")
@click.option("--forms", "forms_dir", default="forms", show_default=True,
              type=click.Path(path_type=Path), help="The study's forms folder.")
@click.option("--include-training", is_flag=True, help="Also export training submissions.")
@click.option("--force", is_flag=True, help="Replace an earlier export in --out.")
@_friendly
def export(key_paths: tuple[Path, ...], source: Path, out_dir: Path, forms_dir: Path,
           include_training: bool, force: bool) -> None:
    """Decrypt sealed submissions and write CSV plus a codebook."""
    from fieldkit.export import run_export_cli
    run_export_cli(list(key_paths), source, out_dir, forms_dir,
                   passphrase=get_passphrase(confirm=False),
                   include_training=include_training, force=force)
