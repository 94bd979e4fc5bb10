"""Foundation every layer stands on: the one error hierarchy with its diagnostics and spans, the
limits on what a rule file or document may be, where the bundled library lies, the strict YAML and
JSON reader, and the version. Imports nothing from the other layers."""
