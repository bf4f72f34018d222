"""Built-in schemes and reference data (CCHI 2020, HO code list), with their provenance."""
