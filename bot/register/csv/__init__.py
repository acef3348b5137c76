"""The register as CSV, written by the database: PostgreSQL COPY cells, SQLite printf lines, record
ends.
"""
