"""The field station: a Flask app on the enumerator's laptop."""
