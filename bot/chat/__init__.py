"""The conversation: the one entry point for commands and buttons, the action table, help, home and
the commands.
"""
