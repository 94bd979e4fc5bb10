"""The PCR language: grammar loading, parsing, building the immutable model (every node with its
source span), the unit syntax and the expression toolkit. Depends only on core."""
