"""Starboard's dashboard server: ``streamlit run dashboard_server.py`` (as ./start runs it).

Streamlit serves the router (``dashboard_app.py``) with Starboard's additions
(``dashboard/server.py``): the session cookie route, the security headers and the websocket
filter. Run ``dashboard_app.py`` directly and the router refuses to sign anyone in.
"""

import os

import streamlit as st
from starlette.middleware import Middleware

from dashboard import server
from dashboard.viewer import crm_engine

# Uvicorn believes X-Forwarded-For from 127.0.0.1 and ::1 by default, so anyone on this machine
# could pick the address a sign-in is counted under. Starboard reads the header itself, only
# from the proxies STARBOARD_TRUST_FORWARDED_FOR names (dashboard/connection.py): Uvicorn must
# believe no one. (Read when Streamlit builds Uvicorn's configuration, after this import.)
os.environ["FORWARDED_ALLOW_IPS"] = ""

server.mark_serving()
app = st.App(
    "dashboard_app.py",
    routes=server.routes(crm_engine),
    middleware=[Middleware(server.Guard)],
)
