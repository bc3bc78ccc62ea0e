"""Exports for platform and unit admins: case lists (with the list's filters, or a unit's own
cases in every state) and a session's registrations, as CSV or XLSX."""
