"""Benchmarks (not part of the test run): `python -m bench` or `make bench`."""
