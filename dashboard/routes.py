"""The pages ``st.navigation`` gets for a signed-in person: every page's address answers.

Streamlit 1.67 serves the default page at the root only, so its own address (/my_leads for an
account manager, /sales_dashboard for the other roles) said "Page not found". And a page the
role may not open, asked for by its address (a bookmark, a link from a colleague, the address
someone asked for before signing in, a role changed mid-session), either said "Page not found"
as though it did not exist, or opened the default page without a word. So every page of
``PAGES`` has its address here: the role's own pages as they are; the default page's own
address leading to the root; any other page's address leading to the default page with one line
saying why (``notice``, which the router shows on the page landed on).

An address that names no page at all (/nonsense, a mistyped bookmark) is answered the same
way: the person lands on their first page with one line saying there is no such page, where
Streamlit would show its "Page not found" dialog (``unknown_address``).

A redirect keeps only the URL's query parameters the page landed on reads (``PageSpec.params``):
none of the first pages reads any, so /star_board?lead=4 lands on the bare first page.

The address pages are hidden and run no page file: they only move the person on.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard import access, sign_in
from dashboard.navigation import PAGES, PageSpec
from dashboard.viewer import HOME_PATH, Viewer, shown_address, unknown_address

# The default page's url_path is HOME_PATH. Streamlit serves the default page at the root, never
# under this name, but hashes the page by it: it must not be the page file's name, whose address
# is the hidden page that leads to the root; nor a name anyone types (such as "home"), which is
# answered as an address naming no page, by a hidden page of that name beside it.
NOTICE_KEY = "routes.notice"


def sections(viewer: Viewer) -> dict[str, list]:
    """``st.navigation``'s pages for ``viewer``: their role's pages by section, the first
    section also holding the hidden address of every other page."""
    mine = access.pages_for(viewer)
    first = next((spec for spec in mine if spec.default), mine[0] if mine else None)
    sections: dict[str, list] = {}
    home = None
    for spec in mine:
        page = st.Page(
            f"pages/{spec.file}",
            title=spec.title,
            icon=spec.icon,
            url_path=HOME_PATH if spec is first else None,
            default=spec is first,
        )
        if spec is first:
            home = page
        sections.setdefault(spec.section, []).append(page)
    if home is None:  # a role with no page yet
        home = st.Page(sign_in.no_pages, title="Starboard", icon="⭐", default=True)
        sections[""] = [home]
    role = access.ROLE_NAMES.get(viewer.role, viewer.role)
    addresses = [
        _leads_to(
            home,
            first,
            Path(spec.file).stem,
            None if spec is first else not_available(spec, role, home.title),
            spec.title,
        )
        for spec in PAGES
        if spec is first or spec not in mine
    ]
    unknown = unknown_address()
    if unknown is not None:
        said = no_page(unknown, home.title)
        addresses.append(_leads_to(home, first, unknown, said, home.title))
    next(iter(sections.values())).extend(address for address in addresses if address)
    return sections


def not_available(spec: PageSpec, role: str, landed: str) -> str:
    """The line shown on the page a person lands on when they asked for ``spec``'s."""
    return f"{spec.title} is not available for your role ({role}): you are on {landed} instead."


def no_page(address: str, landed: str) -> str:
    """The line shown on the page a person lands on when their address named no page."""
    return f"There is no page at {shown_address(address)}: you are on {landed} instead."


def kept_query(spec: PageSpec | None) -> dict[str, list[str]]:
    """The URL's query parameters that ``spec``'s page reads, for a redirect to it."""
    if spec is None:
        return {}
    return {name: st.query_params.get_all(name) for name in spec.params if name in st.query_params}


def notice() -> None:
    """Show, once, why the person is not on the page they asked for."""
    said = st.session_state.pop(NOTICE_KEY, None)
    if said:
        st.info(said)


def _leads_to(home, home_spec: PageSpec | None, address: str, said: str | None, title: str):
    """A hidden page at ``address`` that moves the person on to ``home`` (saying ``said``),
    with the query parameters ``home`` reads; None for an address no page can have."""

    def lead_on() -> None:
        if said:
            st.session_state[NOTICE_KEY] = said
        st.switch_page(home, query_params=kept_query(home_spec))

    try:
        return st.Page(lead_on, title=title, url_path=address, visibility="hidden")
    except StreamlitAPIException:  # a name st.Page refuses: Streamlit's own answer stays
        return None
