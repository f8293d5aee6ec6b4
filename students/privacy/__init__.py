"""Families' privacy rights (issue 18, item 5): the record of disclosures (FERPA 34 CFR 99.32)."""
