"""Errors the user caused and should read about, in their language."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: the transaction is rolled back and the user gets `key` translated."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
