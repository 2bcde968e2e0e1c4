"""Helpers for host applications' tests: hypothesis strategies and the store contract."""
