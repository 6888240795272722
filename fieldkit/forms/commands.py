"""``fieldkit forms lint|review|diff``."""

import click


@click.group()
def forms() -> None:
    """Check and review questionnaire files."""
