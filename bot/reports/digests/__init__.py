"""HEI placement leads' digests of offers new, changed and withdrawn: queries, message and job."""
