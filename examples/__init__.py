"""Runnable examples of dynamorm_async."""
