"""What the dashboard's pages share: periods and KPA arithmetic, data access, widgets.

Pages (``pages/*.py``) hold widgets and rendering only; the logic they need lives here, and
every figure comes from a ``warehouse/queries/*.sql`` query.
"""
