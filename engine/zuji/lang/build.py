"""Stage 2: syntax tree to model, and the entry point of rule texts and files.

One method per grammar rule turns a tree node into one model object; what the grammar cannot say
(a header given twice, an unknown status word) is collected as diagnostics, and everything that
needs names, units or datasets is left to check.py. The stage lies in three modules:

- build_rules.py: the declarations of a rule file, and :func:`build` of a whole tree;
- build_exprs.py: expressions and units, and :func:`build_unit` of a unit text's tree;
- load.py: texts and files parsed and built within the limits, once per process.

The other layers import the stage's names from here.
"""

from __future__ import annotations

from zuji.lang.build_exprs import build_unit as build_unit
from zuji.lang.build_rules import build as build
from zuji.lang.load import load_file as load_file
from zuji.lang.load import load_text as load_text
from zuji.lang.load import read_rule_text as read_rule_text
