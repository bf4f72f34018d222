"""Scoring beyond one array: the streaming :class:`~crimeharm.Scorer` and the Dask path."""
