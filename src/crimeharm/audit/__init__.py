"""Accountability: manifests that reproduce a result, and keyed pseudonymisation of ids."""
