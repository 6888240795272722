"""The central aggregator: receives sealed submissions, deduplicates them and keeps
soft quotas without ever holding the study's private key."""
