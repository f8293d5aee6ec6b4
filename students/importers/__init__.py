"""Importers of outside files: rosters (OneRoster CSV) and, later, assessment scores.

`csvio` reads CSV files as streams (encoding, dialect, headers, dates, row errors);
each format module turns rows into a validated plan and writes it set-based.
"""
