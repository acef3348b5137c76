"""Nudges: the rules, the day's plan, the scan that queues them, what each says, and how they are
settled or withdrawn.
"""
