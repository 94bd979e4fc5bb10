"""Running a plan: reading inventories (supplier PACT documents included), evaluating, rating data
quality, the result with its trace, worked cases, and the PCR object of the API."""
