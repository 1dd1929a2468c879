"""Every page of the dashboard, in the order the sidebar shows them, with who may open it.

The router (``dashboard_app.py``) builds ``st.navigation`` from the pages the signed-in
person's role may open (``roles``); the role is read from the CRM at every click. The address
of every other page leads to the role's first page, saying why (``dashboard.routes``). A page file
lives in ``pages/`` and is named after its view.
"""

from __future__ import annotations

from dataclasses import dataclass

EXECUTIVE = "executive"
SALES_MANAGER = "sales_manager"
LEAD_MANAGER = "lead_manager"
ACCOUNT_MANAGER = "account_manager"
ADMIN = "admin"
MANAGERS = (SALES_MANAGER, LEAD_MANAGER, ADMIN)
READERS = (*MANAGERS, EXECUTIVE)


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    section: str
    roles: tuple[str, ...]
    default: bool = False
    # The URL's query parameters the page reads (a lead page's ?lead=): a redirect to the page
    # keeps these and drops the rest, which mean nothing there.
    params: tuple[str, ...] = ()


# The lead page's address for one lead: relative, so a link from any page (under any
# ``server.baseUrlPath``) opens it; ``pages/lead.py`` reads the id from the URL.
LEAD_PAGE = "lead"
LEAD_PARAM = "lead"


def lead_url(lead_id: int) -> str:
    """The link to ``lead_id``'s lead page, which can be bookmarked and shared."""
    return f"{LEAD_PAGE}?{LEAD_PARAM}={int(lead_id)}"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("my_leads.py", "My leads", "📞", "My work", (ACCOUNT_MANAGER, *MANAGERS)),
    PageSpec("sales_dashboard.py", "Sales dashboard", "📈", "Numbers", READERS, True),
    PageSpec("executive_kpas.py", "Executive KPAs", "🎯", "Numbers", READERS),
    PageSpec("target_board.py", "Target board", "🏁", "Numbers", MANAGERS),
    # Opened from any lead row by its link (?lead=<id>); in the sidebar too, to type a number.
    PageSpec("lead.py", "Lead", "👤", "Leads", (ACCOUNT_MANAGER, *READERS), params=(LEAD_PARAM,)),
    PageSpec("all_leads.py", "All leads", "📋", "Leads", MANAGERS),
    PageSpec("online.py", "Online", "🟢", "Leads", MANAGERS),
    PageSpec("online_advanced.py", "Online advanced", "📡", "Leads", MANAGERS),
    PageSpec("last_logged_in.py", "Last logged in", "🕑", "Leads", MANAGERS),
    PageSpec("star_board.py", "Star board", "⭐", "Leads", MANAGERS),
    PageSpec("import_data.py", "Import", "📥", "Leads", MANAGERS),
    PageSpec("distribution.py", "Distribution", "🔀", "Leads", MANAGERS),
    PageSpec("failed_deposits.py", "Failed deposits", "⛔", "Deposits", MANAGERS),
    PageSpec("new_deposits.py", "New deposits", "💰", "Deposits", MANAGERS),
    PageSpec("payment_options_log.py", "Payment options log", "💳", "Deposits", MANAGERS),
    PageSpec("support_issues.py", "Support issues", "🛟", "Activity", MANAGERS),
    PageSpec("log_report.py", "Log report", "🗒️", "Activity", MANAGERS),
    PageSpec("staff.py", "Staff", "👥", "Admin", (ADMIN,)),
)
