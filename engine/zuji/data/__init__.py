"""Reference data read by rules: factor datasets and GWP sets from standards/, and the format rules
of PACT ProductFootprint documents. Depends on lang (units are written in the language) and core."""
