"""Deployment pieces: the reverse proxy that fronts one or more dashboard processes."""
