"""The ``fieldkit`` command. Each area keeps its commands in its own module;
this file only puts them together."""

from __future__ import annotations

import click

from fieldkit import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldkit")
def main() -> None:
    """fieldkit: consent-gated, sealed, offline field surveys."""


def _register() -> None:
    from aggregator.commands import aggregator
    from fieldkit.forms.commands import forms
    from fieldkit.station.commands import station, sync
    from fieldkit.study_commands import export, study

    for command in (forms, study, export, station, sync, aggregator):
        main.add_command(command)


_register()
