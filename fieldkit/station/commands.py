"""``fieldkit station ...`` and ``fieldkit sync``."""

import click


@click.group()
def station() -> None:
    """Run and set up a field station."""


@click.command()
def sync() -> None:
    """Send sealed submissions to the aggregator."""
    raise click.ClickException("not built yet")
