"""The Staff page's widgets: the accounts, and the forms an admin changes them with.

Every change goes through ``crm.staff`` as the signed-in admin (refused there for anyone
else), is audited there, and answers with its own one-line message.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from crm import staff
from crm.actions import ActionResult
from crm.errors import UserError
from crm.models import DESKS, ROLES
from dashboard.access import ROLE_NAMES
from dashboard.formats import plain
from dashboard.viewer import crm_engine, current_viewer, read_viewer_again

MESSAGE_KEY = "staff.message"
ERROR_KEY = "staff.error"
NO_DESK = "no desk"
NO_TEAM = "no team"


def require_admin() -> None:
    """Stop unless an admin is signed in: the page shows staff accounts, and is run only
    through the router, which offers it to admins alone (this holds should it ever not)."""
    viewer = current_viewer()
    if viewer is None or viewer.role != "admin":
        st.stop()


def accounts_table() -> pd.DataFrame:
    """Every account, active first, as the admin sees it (never a password hash)."""
    rows = staff.staff_list(crm_engine())
    table = pd.DataFrame(
        {
            "staff_id": [row.id for row in rows],
            "name": [row.name for row in rows],
            "email": [row.email for row in rows],
            "role": [ROLE_NAMES[row.role] for row in rows],
            "desk": [row.desk for row in rows],
            "team": [row.team for row in rows],
            "active": [bool(row.is_active) for row in rows],
            "can_sign_in": [bool(row.has_password and row.is_active) for row in rows],
            # What the role form starts from; not shown.
            "role_code": [row.role for row in rows],
            "team_id": [row.team_id for row in rows],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        placeholder="",
        key="staff.table",
        column_order=[column for column in table.columns if column not in ("role_code", "team_id")],
        column_config={
            "staff_id": st.column_config.NumberColumn("Id", format="%d"),
            "can_sign_in": st.column_config.CheckboxColumn("Can sign in"),
        },
    )
    return table


def outcome() -> None:
    """The last change's message, or why it was refused."""
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.success(plain(message))
    if error := st.session_state.pop(ERROR_KEY, None):
        st.error(plain(error))


def add_form() -> None:
    with st.form("staff.add", clear_on_submit=True, border=True):
        st.markdown("**Add a person**")
        name, email = st.columns(2)
        name.text_input("Full name", key="staff.add.name")
        email.text_input("Work email", key="staff.add.email")
        role, desk, team = st.columns(3)
        # No role is preselected: one click must not make an admin (as for a role change).
        role.selectbox(
            "Role",
            ROLES,
            index=None,
            placeholder="Choose a role",
            format_func=ROLE_NAMES.get,
            key="staff.add.role",
        )
        desk.selectbox("Desk (AMs)", [NO_DESK, *DESKS], key="staff.add.desk")
        team.selectbox("Team (AMs)", [NO_TEAM, *_teams()], key="staff.add.team")
        zone, password = st.columns(2)
        zone.text_input(
            "Time zone",
            placeholder="the browser's (e.g. Europe/London)",
            help="Where the person sees times in. Empty: their browser's zone; an AM's shifts "
            "are then in the floor's zone.",
            key="staff.add.zone",
        )
        password.text_input(
            "Password (10 characters or more)", type="password", key="staff.add.password"
        )
        st.checkbox(
            "If admin: yes, every page, every action, and these accounts",
            key="staff.add.admin_confirmed",
        )
        st.form_submit_button("Add", on_click=_add)


def change_forms(accounts: pd.DataFrame) -> None:
    """Role, access and password of one chosen account."""
    if accounts.empty:
        return
    labels = {
        int(row.staff_id): f"{row.name} <{row.email}>" for row in accounts.itertuples(index=False)
    }
    chosen = st.selectbox(
        "Change the account of", list(labels), format_func=labels.get, key="staff.chosen"
    )
    row = accounts.set_index("staff_id").loc[chosen]
    role_column, access_column, password_column = st.columns(3)
    with role_column:
        role_form(chosen, row)
    with access_column, st.container(border=True):
        st.markdown("**Access**")
        if row["active"]:
            st.caption("Deactivated, they lose access at their next click.")
            st.button(
                "Deactivate", key="staff.deactivate", on_click=_set_active, args=(chosen, False)
            )
        else:
            st.caption("Inactive: cannot sign in.")
            st.button("Reactivate", key="staff.activate", on_click=_set_active, args=(chosen, True))
    with password_column, st.form("staff.password", clear_on_submit=True, border=True):
        st.markdown("**Reset the password**")
        st.text_input("New password", type="password", key="staff.password.new")
        st.form_submit_button("Set password", on_click=_set_password, args=(chosen,))


def role_form(staff_id: int, row: pd.Series) -> None:
    """The role, desk and team of one person, starting from the ones they have now (keys per
    person, so another person's choice never carries over). Nothing changes unless something
    else is chosen, and making someone an admin needs its own tick (issue 26, item 11)."""
    teams = _teams()
    team_names = {team_id: name for name, team_id in teams.items()}
    desks = [NO_DESK, *DESKS]
    team_choices = [NO_TEAM, *teams]
    current_team = team_names.get(None if pd.isna(row["team_id"]) else int(row["team_id"]))
    with st.form(f"staff.role.{staff_id}", border=True):
        st.markdown("**Role**")
        desk = _text(row["desk"])
        st.caption(plain(f"Now: {row['role']}" + (f", {desk} desk" if desk else "")))
        st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(row["role_code"]),
            format_func=ROLE_NAMES.get,
            key=f"staff.role.{staff_id}.role",
        )
        st.selectbox(
            "Desk (AMs)",
            desks,
            index=desks.index(desk) if desk in desks else 0,
            key=f"staff.role.{staff_id}.desk",
        )
        st.selectbox(
            "Team (AMs)",
            team_choices,
            index=team_choices.index(current_team) if current_team in team_choices else 0,
            key=f"staff.role.{staff_id}.team",
        )
        st.checkbox(
            "Yes, make them an admin: every page, every action, and these accounts",
            key=f"staff.role.{staff_id}.admin_confirmed",
        )
        st.form_submit_button("Set role", on_click=_set_role, args=(staff_id, row))


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _teams() -> dict[str, int]:
    return {row.name: row.id for row in staff.teams(crm_engine())}


def _choice(value: str, none: str) -> str | None:
    return None if value == none else value


def _act(change: Callable[..., ActionResult]) -> None:
    """Run ``change(engine, actor_id=...)`` as the signed-in admin; keep its answer to show."""
    viewer = current_viewer()
    try:
        if viewer is None:
            raise UserError("you are signed out: sign in again.")
        result = change(crm_engine(), actor_id=viewer.staff_id)
    except UserError as error:
        st.session_state[ERROR_KEY] = str(error)
        return
    finally:
        read_viewer_again()  # the change may be the admin's own role or account
    st.session_state[MESSAGE_KEY] = result.message


def _add() -> None:
    state = st.session_state
    team = _choice(state["staff.add.team"], NO_TEAM)
    password = state.get("staff.add.password") or None
    role = state.get("staff.add.role")
    if role is None:
        state[ERROR_KEY] = "Choose the person's role: nothing was added."
        return
    if role == "admin" and not state.get("staff.add.admin_confirmed"):
        state[ERROR_KEY] = (
            "A new admin gets every right: tick the box to confirm it. Nothing was added."
        )
        return
    _act(
        lambda engine, actor_id: staff.add_staff(
            engine,
            actor_id=actor_id,
            name=state["staff.add.name"],
            email=state["staff.add.email"],
            role=role,
            desk=_choice(state["staff.add.desk"], NO_DESK),
            team_id=_teams()[team] if team else None,
            time_zone=(state["staff.add.zone"] or "").strip() or None,
            password=password,
        )
    )


def _set_role(staff_id: int, row: pd.Series) -> None:
    state = st.session_state
    key = f"staff.role.{staff_id}"
    role = state[f"{key}.role"]
    desk = _choice(state[f"{key}.desk"], NO_DESK)
    team = _choice(state[f"{key}.team"], NO_TEAM)
    team_id = _teams()[team] if team else None
    if role != "account_manager":  # only an AM works on a desk and in a team
        desk = team_id = None
    current_team = None if pd.isna(row["team_id"]) else int(row["team_id"])
    if (role, desk, team_id) == (row["role_code"], _text(row["desk"]), current_team):
        state[ERROR_KEY] = (
            f"{row['name']} is {row['role']} already: choose another role, desk or team."
        )
        return
    if role == "admin" and row["role_code"] != "admin" and not state.get(f"{key}.admin_confirmed"):
        state[ERROR_KEY] = (
            f"Making {row['name']} an admin gives every right: tick the box to confirm it."
        )
        return
    state[f"{key}.admin_confirmed"] = False
    _act(
        lambda engine, actor_id: staff.set_role(
            engine, actor_id=actor_id, staff_id=staff_id, role=role, desk=desk, team_id=team_id
        )
    )


def _set_active(staff_id: int, active: bool) -> None:
    _act(
        lambda engine, actor_id: staff.set_active(
            engine, actor_id=actor_id, staff_id=staff_id, active=active
        )
    )


def _set_password(staff_id: int) -> None:
    password = st.session_state.get("staff.password.new", "")
    _act(
        lambda engine, actor_id: staff.set_password(
            engine, actor_id=actor_id, staff_id=staff_id, password=password
        )
    )
