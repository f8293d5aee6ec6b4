"""The school calendar: school years, terms, days without school and day cycles.

District-level core data (issue 12, scope 2). Apps above read it through
`mtss.calendars.selectors`; the pure engine receives it as a frozenset of dates.
"""
