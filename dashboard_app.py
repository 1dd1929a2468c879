"""Starboard's dashboard: the router. Run ``streamlit run dashboard_app.py``.

Pages live in ``pages/``, one file per view (listed in ``dashboard/navigation.py``); their
logic lives in ``dashboard/`` and their SQL in ``warehouse/queries/``.
"""

import streamlit as st

from dashboard.navigation import PAGES

st.set_page_config(page_title="Starboard", page_icon="⭐", layout="wide")

sections: dict[str, list] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(
        st.Page(f"pages/{spec.file}", title=spec.title, icon=spec.icon, default=spec.default)
    )

st.navigation(sections).run()
