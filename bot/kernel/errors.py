"""Errors the user caused and should read about, in their language."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: the transaction is rolled back and the user gets `key` translated."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class RequestRefused(Exception):
    """A machine request (an HTTP endpoint) was refused: an HTTP status and a catalog message.

    Capabilities raise subclasses of it; adapters turn it into a response without
    knowing which capability refused.
    """

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params
