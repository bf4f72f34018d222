"""The harm-v1 benchmark: crimeharm against pandas, polars and duckdb (see README.md)."""
