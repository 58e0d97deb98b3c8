"""Identity resolution: normalisation, blocking, scoring, review of duplicates, merge and undo."""
