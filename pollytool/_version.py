"""The installed pollytool version."""

__version__ = "0.1.0"
