"""Results leaving or re-entering Zuji: PACT ProductFootprint export and replay of a result file.
Beside review; neither imports the other."""
