"""HEIs' placement blocks: adding them, teams' capacity answers, and demand against
places offered.
"""
