"""Reviewing rule changes: semantic diff, symbolic algebra, impact on the worked cases, coverage,
history and git revisions. The semantic diff is `diff` (its parts in the diff_* modules). Beside
exchange; neither imports the other; rendering is the interfaces' work."""
