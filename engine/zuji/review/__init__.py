"""Reviewing rule changes: semantic diff, symbolic algebra, impact on the worked cases, coverage,
history and git revisions. Beside exchange; neither imports the other."""
