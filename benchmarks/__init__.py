"""Benchmarks that compare pollytool with the raw vendor SDKs in the same run."""
