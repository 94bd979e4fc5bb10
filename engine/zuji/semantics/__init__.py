"""What a rule means: resolving modules and factors, checking, unit inference and compiling a
checked model into a plan of closures on plain floats. Depends on data, lang and core."""
