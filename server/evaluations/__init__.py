"""Evaluations (好差评): one rating per service, and bad-review cases."""
