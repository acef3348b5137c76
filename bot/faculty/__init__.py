"""Faculty set-up: the organisations, sites, teams, people, roles and targets a faculty is made
of, each changed by one idempotent call that validates, audits and says what it did."""
