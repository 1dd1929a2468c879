"""Data in from the brokerage's own systems (issue 24): what the ingest API (``api/``) and the
imports (``python -m crm import``, the Import page) share.

- ``values``: one checker per kind of value (a name, an email, a phone in E.164, a time zone);
- ``fields``: the fields of each kind of record (lead, deposit event, call, platform event);
- ``validation``: a record's fields checked into clean values or a message per bad field;
- ``mappings``: providers' raw decline codes and dialers' dispositions in Starboard's words;
- ``imports``: reading CSV and Excel files, guessing the column mapping, dry runs, imports.
"""
