"""Array kernels: hashing ids into groups and order-independent sums (numpy reference)."""
