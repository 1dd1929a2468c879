-- lead_owners: who owns each of the leads lead_ids now, and since when. One row per lead that
-- has an owning AM: the owner, whether they are active, and when the lead was last assigned
-- to them (null when no assignment row says so: an owner set by an import).
with owned as (
    select
        leads.id as lead_id,
        leads.am_id,
        staff.name as am_name,
        staff.is_active as am_active
    from leads
    inner join staff on staff.id = leads.am_id
    where leads.id in :lead_ids
),

since as (
    select
        assignments.lead_id,
        max(assignments.assigned_at) as owner_since
    from assignments
    inner join owned
        on owned.lead_id = assignments.lead_id
        and owned.am_id = assignments.to_am_id
    group by assignments.lead_id
),

final as (
    select
        owned.lead_id,
        owned.am_id,
        owned.am_name,
        owned.am_active,
        since.owner_since
    from owned
    left join since on since.lead_id = owned.lead_id
)

select * from final
order by lead_id
