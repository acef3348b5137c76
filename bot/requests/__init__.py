"""HEI requests for places on an offer: asking, the fair settlement at release time, confirming and
declining, expiry, and what the poster is told.
"""
