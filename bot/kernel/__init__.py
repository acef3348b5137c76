"""What every package may use: the Command/Reply vocabulary, errors, the clock, the service context
and audit, dates, numbers, references and professions.
"""
