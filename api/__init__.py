"""Starboard's ingest API: the brokerage's own systems send leads, platform events, deposits
and calls in (issue 24). ``python -m api`` serves it with Uvicorn; ``api.app.create_app``."""
