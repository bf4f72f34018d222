"""Research tools built on the core: explain, compare, concentration, sensitivity, RFG, plots."""
