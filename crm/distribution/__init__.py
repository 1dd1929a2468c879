"""Lead distribution (issue 25): new leads assigned by rules, fairly, to AMs who are on shift.

- ``rules``: the ordered rules and their segments; which rule a lead falls under.
- ``availability``: an AM's weekly shifts and leave, in the AM's own zone.
- ``rotation``: smooth weighted round robin over the available AMs of a pool.
- ``decide``: one lead's decision (an AM and the explanation, or a wait and its reason), the
  same function for the live assignment and for a replay.
- ``assign``: the live side, inside an action's transaction: locks the rotation state, assigns
  through ``crm.actions.leads.assign_leads`` with reason ``auto``, keeps waiting leads.
- ``replay``: the decisions a rule set would have made over past registrations, writing nothing.
"""
