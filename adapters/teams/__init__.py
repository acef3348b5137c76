"""The Microsoft Teams edge: Bot Framework activities in, Adaptive Cards out.

botbuilder is kept inside this package (its Python SDK is in maintenance; the edge may move to
Microsoft's successor SDK), and only its inbound parsing and token validation are used.
"""
