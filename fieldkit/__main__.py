"""``python -m fieldkit`` is the ``fieldkit`` command."""

from fieldkit.cli import main

main()
