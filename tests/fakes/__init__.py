"""Test doubles that sit above nothing we test: loopback HTTP servers and cassette loading."""
