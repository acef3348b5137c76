"""The one way a message reaches a person: the outbox queue, the sender, pacing, channels and who
is reached where.
"""
