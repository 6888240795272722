"""``fieldkit aggregator ...``."""

import click


@click.group()
def aggregator() -> None:
    """Run and administer the central aggregator."""
