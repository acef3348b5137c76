"""The shared register as HEIs pull it: change stamps, queries, records, the CSV stream and API
tokens.
"""
