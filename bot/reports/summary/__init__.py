"""The AHP faculty lead's weekly summary against targets: queries, message and job."""
