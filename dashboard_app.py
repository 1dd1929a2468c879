"""Starboard's dashboard: the router. Run ``streamlit run dashboard_app.py``.

Pages live in ``pages/``, one file per view; their logic lives in ``dashboard/``.
"""

import streamlit as st

st.set_page_config(page_title="Starboard", page_icon="⭐", layout="wide")

pages = {
    "Sales": [
        st.Page("pages/sales_dashboard.py", title="Sales dashboard", icon="📈", default=True),
    ],
    "Executive": [
        st.Page("pages/executive_kpas.py", title="Executive KPAs", icon="🎯"),
    ],
}

st.navigation(pages).run()
