"""Who people are: the directory of people and identities, the short memory of people met, roles
and permissions, conversations and working hours.
"""
