"""Placement offers: their lifecycle, the one-line parser and form, the rules an offer must keep,
the service that writes them and how they are shown.
"""
