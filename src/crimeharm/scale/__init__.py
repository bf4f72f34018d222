"""Scoring beyond one array: the streaming [`Scorer`][crimeharm.Scorer] and the Dask path."""
