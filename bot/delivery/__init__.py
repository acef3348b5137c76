"""The one way a message reaches a person: `tell` (to a person, the channel chosen for them), the
outbox queue, the sender, pacing, channels and who is reached where.
"""
