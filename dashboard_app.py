"""Starboard's dashboard: the router. Run ``streamlit run dashboard_app.py``.

Nothing shows until someone signs in (``dashboard/sign_in.py``); then the sidebar holds the
pages their role may open (``dashboard/navigation.py``), read from the CRM at every click;
every other page's address leads to one of those, saying why (``dashboard/routes.py``).
Pages live in ``pages/``, one file per view; their logic lives in ``dashboard/`` and their SQL
in ``warehouse/queries/``.
"""

import sqlalchemy as sa
import streamlit as st

from crm.errors import UserError
from dashboard import connection, routes, server, sign_in, viewer

st.set_page_config(page_title="Starboard", page_icon="⭐", layout="wide")
viewer.routed()

if connection.has_browser() and not server.serving():
    # Without dashboard_server.py, no session cookie, no security headers, and Uvicorn would
    # believe any X-Forwarded-For from this machine.
    st.error("Serve Starboard with `streamlit run dashboard_server.py` (./start does).")
    st.stop()

try:
    person = viewer.current_viewer()
except UserError as error:  # a bad STARBOARD_IDLE_MINUTES or proxy setting: say so, show nothing
    st.error(str(error))
    st.stop()
except sa.exc.DBAPIError as error:
    st.error(sign_in.crm_trouble(error))
    st.stop()

if person is None:
    sign_in.keep_the_link()
    st.navigation(sign_in.pages(), position="hidden").run()
    st.stop()

viewer.touch()
sign_in.follow_the_link()
sign_in.sidebar(person)
# Every page in the sidebar: folded, it shows ten and hides the rest under "View more".
page = st.navigation(routes.sections(person), expanded=True)
routes.notice()
page.run()
