"""Starboard's dashboard server: ``streamlit run dashboard_server.py`` (as ./start runs it).

Streamlit serves the router (``dashboard_app.py``) with Starboard's additions
(``dashboard/server.py``): the session cookie route, the security headers and the websocket
filter. Run ``dashboard_app.py`` directly and the router refuses to sign anyone in.
"""

import streamlit as st
import uvicorn.config
from starlette.middleware import Middleware

from dashboard import server
from dashboard.viewer import crm_engine, routed

# Uvicorn believes X-Forwarded-For from 127.0.0.1 and ::1 by default (FORWARDED_ALLOW_IPS), so
# anyone on this machine could pick the address a sign-in is counted under. Starboard reads the
# header itself, from the proxies STARBOARD_TRUST_FORWARDED_FOR names (dashboard/connection.py):
# Uvicorn's own reading goes. `streamlit run` builds Uvicorn's configuration before it imports
# this module, and wraps the app in that middleware after: replacing it here is in time.
uvicorn.config.ProxyHeadersMiddleware = server.without_proxy_headers

server.mark_serving()
# Before the first session: left to itself, Streamlit 1.67 sees pages/ and has the first
# address after a start run its page file without the router (viewer.ensure_routed sends it
# back) or answer an unknown address with its "Page not found" dialog, which no router undoes.
routed()
app = st.App(
    "dashboard_app.py",
    routes=server.routes(crm_engine),
    middleware=[Middleware(server.Guard)],
)
