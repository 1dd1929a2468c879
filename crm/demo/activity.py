"""What else the demo's leads leave behind: platform sessions, the assignment history with the
AMs' and managers' notes (and the calls, under the AM who owned the lead), support tickets and
the e-mails queued for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crm.demo import reference as ref
from crm.demo.columns import DAY, HOUR, MINUTE, US, Masked, pa_nullable, pick, rendered_email
from crm.demo.reference import DEVICES

if TYPE_CHECKING:
    from crm.demo.leads import LeadChunk


def session_rows(c: LeadChunk):
    """Platform sessions: the registration's, logins fading with time, traders', comebacks."""
    rng, n = c.rng, c.n
    base = 1 + rng.poisson(4 + 40 * c.quality)
    traded = np.where(c.converted, rng.poisson(0.5 * (c.until - c.ftd_at) / DAY), 0)
    comeback = ~c.converted & (rng.random(n) < 0.15)
    returns = np.where(comeback, 1 + rng.poisson(3, n), 0)
    part = np.concatenate(
        [
            np.zeros(int(base.sum()), np.int8),
            np.ones(int(traded.sum()), np.int8),
            np.full(int(returns.sum()), 2, np.int8),
        ]
    )
    lead = np.concatenate(
        [
            np.repeat(np.arange(n), base),
            np.repeat(np.arange(n), traded),
            np.repeat(np.arange(n), returns),
        ]
    )
    m = len(lead)
    fade = (4 + 20 * c.quality[lead]) * DAY
    login = c.registered[lead] + (rng.exponential(1, m) * fade).astype(np.int64)
    # The first session is the registration itself.
    first_of_lead = np.zeros(m, bool)
    first_of_lead[np.cumsum(base) - base] = True
    login[first_of_lead] = c.registered[lead[first_of_lead]] + 20 * US
    trading = part == 1
    login[trading] = c.ftd_at[lead[trading]] + (
        rng.random(int(trading.sum())) * (c.until - c.ftd_at[lead[trading]])
    ).astype(np.int64)
    # Comebacks: weeks of silence after the last visit, then a burst of logins.
    back = part == 2
    last_visit = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_visit, lead[part == 0], login[part == 0])
    gap_end = last_visit + (rng.uniform(21, 45, n) * DAY).astype(np.int64)
    login[back] = gap_end[lead[back]] + (rng.exponential(2, int(back.sum())) * DAY).astype(np.int64)
    keep = login < c.until - MINUTE
    lead, login = lead[keep], login[keep]
    m = len(lead)
    duration = np.minimum(rng.lognormal(np.log(15 * 60), 1.0, m), 8 * 3600).astype(np.int64) * US
    last_seen = login + duration
    online = last_seen >= c.until
    last_seen = np.minimum(last_seen, c.until)
    logged_out = ~online & (rng.random(m) < 0.88)
    c.last_login = np.full(n, 0, dtype=np.int64)
    np.maximum.at(c.last_login, lead, login)
    c.out["platform_sessions"] = {
        "id": c.g.counters.take("platform_sessions", m),
        "lead_id": c.ids[lead],
        "login_at": login,
        "last_seen_at": last_seen,
        "logout_at": Masked(last_seen, logged_out),
        "device": np.array(DEVICES, dtype=object)[pick(rng, [0.45, 0.3, 0.25], m)],
        "updated_at": last_seen,
    }


def assignment_and_note_rows(c: LeadChunk):
    """The assignment history, the notes, and the calls under the AM who owned the lead."""
    g, rng = c.g, c.rng
    # Assignment history: first owner, follow-ups, failed-deposit reviews, upsale, retention.
    rows: list[dict] = []

    def add(lead, at, from_am, to_am, from_desk, to_desk, by, reason, note=None):
        rows.append(
            {
                "lead": lead,
                "at": at,
                "from": from_am,
                "to": to_am,
                "from_desk": from_desk,
                "to_desk": to_desk,
                "by": by,
                "reason": np.full(len(lead), reason, dtype=object),
                "note": note if note is not None else np.full(len(lead), None, object),
            }
        )

    managers = g.lead_managers
    first = np.flatnonzero(c.is_assigned)
    add(
        first,
        c.assigned_at[first],
        np.zeros(len(first), np.int64),
        c.conv_am[first],
        np.full(len(first), None, object),
        np.full(len(first), "conversion", object),
        managers[rng.integers(0, len(managers), len(first))],
        "new_lead",
    )

    follow = np.flatnonzero(c.follow)
    am = c.conv_am[follow]
    add(
        follow,
        c.last_call_at[follow] + MINUTE,
        am,
        am,
        np.full(len(follow), "conversion", object),
        np.full(len(follow), "conversion", object),
        am,
        "follow_up",
    )

    ups = np.flatnonzero(c.upsale)
    add(
        ups,
        c.upsale_at[ups],
        c.upsale_from_am[ups],
        c.conv_am[ups],
        np.where(c.upsale_from_am[ups] != 0, "conversion", None).astype(object),
        np.full(len(ups), "conversion", object),
        managers[rng.integers(0, len(managers), len(ups))],
        "upsale",
    )

    ret = np.flatnonzero(c.to_retention)
    before = c.owner_at(ret, c.retention_at[ret] - 1)
    add(
        ret,
        c.retention_at[ret],
        before,
        c.ret_am[ret],
        np.where(before != 0, "conversion", None).astype(object),
        np.full(len(ret), "retention", object),
        managers[rng.integers(0, len(managers), len(ret))],
        "retention",
    )

    # F3: failed deposits a manager reviewed: assigned back to the AM with the reason.
    d = c.deposit
    reviewed = (
        d["declined"]
        & (d["am"] != 0)
        & (d["at"] < c.until - DAY)
        & (rng.random(len(d["lead"])) < 0.5)
    )
    r_lead, r_am = d["lead"][reviewed], d["am"][reviewed]
    r_at = d["at"][reviewed] + rng.integers(HOUR, 12 * HOUR, int(reviewed.sum()))
    currencies = np.array(g.currencies, dtype=object)[d["currency"][reviewed]]
    providers = np.array([p[1] for p in ref.PROVIDERS], dtype=object)[d["provider"][reviewed]]
    texts = np.array(
        [
            f"Declined deposit of {cents / 100:.2f} {cur} via {prov}: {reason}. "
            "Help the client retry or choose another method."
            for cents, cur, prov, reason in zip(
                d["cents"][reviewed], currencies, providers, d["reason"][reviewed], strict=True
            )
        ],
        dtype=object,
    )
    desk = np.where(
        c.to_retention[r_lead] & (r_at >= c.retention_at[r_lead]),
        "retention",
        "conversion",
    ).astype(object)
    review_by = managers[rng.integers(0, len(managers), len(r_lead))]
    add(r_lead, r_at, r_am, r_am, desk, desk, review_by, "failed_deposit", texts)

    merged = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    order = np.lexsort((merged["at"], merged["lead"]))
    merged = {k: v[order] for k, v in merged.items()}
    c.last_assignment_at = np.zeros(c.n, np.int64)
    np.maximum.at(c.last_assignment_at, merged["lead"], merged["at"])
    c.out["assignments"] = {
        "id": g.counters.take("assignments", len(merged["lead"])),
        "lead_id": c.ids[merged["lead"]],
        "from_am_id": pa_nullable(merged["from"]),
        "to_am_id": merged["to"],
        "from_desk": merged["from_desk"],
        "to_desk": merged["to_desk"],
        "by_id": merged["by"],
        "reason": merged["reason"],
        "note": merged["note"],
        "assigned_at": merged["at"],
        "created_at": merged["at"],
        "updated_at": merged["at"],
    }

    # Notes: what AMs wrote after some calls, and the managers' failed-deposit notes.
    chosen = rng.random(len(c.call_lead)) < 0.06
    n_lead = c.call_lead[chosen]
    n_at = c.call_at[chosen] + c.call_duration[chosen] * US + 30 * US
    n_author = c.owner_at(n_lead, n_at)
    own = n_author != 0
    n_lead, n_at, n_author = n_lead[own], n_at[own], n_author[own]
    bodies = np.array(ref.NOTE_TEXTS, dtype=object)[
        rng.integers(0, len(ref.NOTE_TEXTS), len(n_lead))
    ]
    lead = np.concatenate([n_lead, r_lead])
    at = np.concatenate([n_at, r_at])
    order = np.lexsort((at, lead))
    c.out["notes"] = {
        "id": g.counters.take("notes", len(lead)),
        "lead_id": c.ids[lead[order]],
        "author_id": np.concatenate([n_author, review_by])[order],
        "body": np.concatenate([bodies, texts])[order],
        "created_at": at[order],
        "updated_at": at[order],
    }

    # Calls go out under the AM who owned the lead at the time.
    c.out["calls"] = {
        "id": g.counters.take("calls", len(c.call_lead)),
        "lead_id": c.ids[c.call_lead],
        "am_id": c.call_am,
        "started_at": c.call_at,
        "duration_s": c.call_duration,
        "outcome": c.call_outcome,
        "created_at": c.call_at + c.call_duration * US,
        "updated_at": c.call_at + c.call_duration * US,
    }


def ticket_rows(c: LeadChunk):
    """Support tickets some leads opened, with their owner at the time."""
    g, rng, n = c.g, c.rng, c.n
    has = rng.random(n) < 0.04
    lead = np.flatnonzero(has)
    m = len(lead)
    opened = c.registered[lead] + (rng.exponential(10, m) * DAY).astype(np.int64)
    keep = opened < c.until - MINUTE
    lead, opened = lead[keep], opened[keep]
    m = len(lead)
    state = pick(rng, [0.75, 0.15, 0.10], m)
    status = np.array(["closed", "open", "pending"], dtype=object)[state]
    closed = opened + rng.integers(HOUR, 4 * DAY, m)
    closed_ok = (status == "closed") & (closed < c.until)
    status[(status == "closed") & ~closed_ok] = "open"
    owner = c.owner_at(lead, opened)
    c.out["support_tickets"] = {
        "id": g.counters.take("support_tickets", m),
        "lead_id": c.ids[lead],
        "owner_id": pa_nullable(owner),
        "subject": np.array(ref.SUPPORT_SUBJECTS, dtype=object)[
            rng.integers(0, len(ref.SUPPORT_SUBJECTS), m)
        ],
        "priority": np.array(["low", "normal", "high", "urgent"], dtype=object)[
            pick(rng, [0.2, 0.5, 0.22, 0.08], m)
        ],
        "status": status,
        "opened_at": opened,
        "closed_at": Masked(closed, closed_ok),
        "created_at": opened,
        "updated_at": np.where(closed_ok, closed, opened),
    }


def email_rows(c: LeadChunk):
    """The welcome mail of every lead and the "reach you" mail after a wrong number."""
    g, rng = c.g, c.rng
    # Welcome mail for every registration; "reach you" after a wrong number.
    wrong = c.call_outcome == "wrong_number"
    w_lead = c.call_lead[wrong]
    first_wrong = np.r_[True, w_lead[1:] != w_lead[:-1]] if len(w_lead) else np.zeros(0, bool)
    r_lead = w_lead[first_wrong]
    r_at = c.call_at[wrong][first_wrong] + 2 * MINUTE
    lead = np.concatenate([np.arange(c.n), r_lead])
    template = np.concatenate(
        [np.full(c.n, "welcome", object), np.full(len(r_lead), "reach_you", object)]
    )
    queued_at = np.concatenate([c.registered + 30 * US, r_at])
    m = len(lead)
    status = np.full(m, "sent", dtype=object)
    status[queued_at > c.until - 5 * MINUTE] = "queued"
    failed = (status == "sent") & (rng.random(m) < 0.003)
    status[failed] = "failed"
    sent = status == "sent"
    sent_at = queued_at + rng.integers(2, 90, m) * US
    rendered = [
        rendered_email(t, c.first_names[i], c.phones[i][-3:] if t == "reach_you" else "")
        for t, i in zip(template, lead, strict=True)
    ]
    c.out["email_outbox"] = {
        "id": g.counters.take("email_outbox", m),
        "lead_id": c.ids[lead],
        "template": template,
        "to_address": c.emails[lead],
        "subject": np.array([r.subject for r in rendered], dtype=object),
        "body": np.array([r.body for r in rendered], dtype=object),
        "status": status,
        "attempts": np.where(status == "queued", 0, np.where(failed, 3, 1)),
        "last_error": np.where(failed, "550 5.1.1 mailbox unavailable", None),
        "next_attempt_at": Masked(queued_at, status == "queued"),
        "sent_at": Masked(sent_at, sent),
        "created_at": queued_at,
        "updated_at": np.where(sent, sent_at, np.where(failed, queued_at + 2 * HOUR, queued_at)),
    }
