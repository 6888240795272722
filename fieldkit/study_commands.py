"""``fieldkit study init`` and ``fieldkit export``."""

import click


@click.group()
def study() -> None:
    """Create and manage a study's keys and configuration."""


@click.command()
def export() -> None:
    """Decrypt sealed submissions and write CSV plus a codebook."""
    raise click.ClickException("not built yet")
