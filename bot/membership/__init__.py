"""Who speaks for a team: members, its provider's staff and coordinators, the faculty lead; and
the claims of everyone else, held until the team's coordinator (else the faculty lead) decides."""
