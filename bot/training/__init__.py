"""Educator training: the catalogue, iCalendar and CSV events, and how an event is shown."""
