"""fieldkit: consent-gated, sealed, offline field surveys for sensitive research.

The domain core (forms, crypto, privacy, quotas, dedup, outbox, journal, export)
imports no Flask. The two deployables are the field station (``fieldkit.station``)
and the aggregator (``aggregator``, in ``sync/``); each has an app factory.
"""

__version__ = "0.1.0"
