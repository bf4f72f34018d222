"""The core: events, weight schemes, decays, the scoring engine, results and ranking.

Imports numpy, attrs and ``crimeharm.kernels`` only; knows nothing of the layers above it.
"""
