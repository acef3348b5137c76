"""Machinery, not domain: the worker's APScheduler wiring, wall-clock schedules and run slots, and
leadership.
"""
