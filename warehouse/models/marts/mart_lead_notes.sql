-- maintained: by key (lead_id) from changed_note_leads
-- mart_lead_notes: one row per lead with a note or an assignment, with what its AM reads before
-- calling it (My leads): the manager's latest note, and the reason of the lead's latest
-- assignment to its AM (the CRM keeps no reason with a star: the assignment says why the lead
-- is the AM's work). Key: lead_id.
-- "The manager's note" is a note, or an assignment's note, written by someone other than the
-- lead's AM: the AM's own notes are what they wrote themselves.
with leads as (
    select lead_id, am_id from dim_leads
    where lead_id in (select lead_id from changed_note_leads)  -- changed only
),

others_notes as (
    select
        notes.lead_id,
        notes.body as note,
        notes.created_at as written_at,
        -- At the same moment an assignment's note comes before a note: it was written first.
        1 as kind_order,
        notes.note_id as row_id
    from fct_notes as notes
    inner join leads using (lead_id)
    where notes.author_id is distinct from leads.am_id
    union all
    select
        assignments.lead_id,
        assignments.note,
        assignments.assigned_at,
        0,
        assignments.assignment_id
    from fct_assignments as assignments
    inner join leads using (lead_id)
    -- A note of spaces only is none. (Not nullif(trim(note), ''): that trims every note twice.)
    where trim(assignments.note) <> ''
      and assignments.by_id is distinct from leads.am_id
),

-- (arg_max rather than numbering each lead's rows: no sort.)
latest_note as (
    select lead_id, latest.note as manager_note, latest.written_at as manager_note_at
    from (
        select
            lead_id,
            arg_max(
                {'note': note, 'written_at': written_at}, (written_at, kind_order, row_id)
            ) as latest
        from others_notes
        group by lead_id
    )
),

latest_assignment as (
    select
        assignments.lead_id,
        -- arg_max_null: plain arg_max would pass over a row whose reason is NULL.
        arg_max_null(
            assignments.reason, (assignments.assigned_at, assignments.assignment_id)
        ) as assignment_reason
    from fct_assignments as assignments
    inner join leads using (lead_id)
    where assignments.to_am_id = leads.am_id
    group by assignments.lead_id
),

final as (
    select
        lead_id,
        latest_note.manager_note,
        latest_note.manager_note_at,
        latest_assignment.assignment_reason
    from latest_note
    full join latest_assignment using (lead_id)
)

select * from final
