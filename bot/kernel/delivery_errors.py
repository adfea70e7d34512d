"""What a `Notifier` raises, so the dispatcher knows whether to wait or give up.

A platform that is down, slow or rate-limiting only ever *delays* a ping:
the dispatcher retries with a capped backoff, however long the outage. It
gives up on a row only when the platform says the post can never succeed
(`PermanentDeliveryError`: the channel is gone, the bot was removed, the
token was revoked, the message was rejected). Adapters translate their
platform's errors into these two; any other exception counts as transient.
"""

from __future__ import annotations


class PermanentDeliveryError(Exception):
    """The platform refused for good: retrying cannot help, people must act.

    `reason` is a short machine-readable code ("channel_not_found",
    "not_in_channel", "token_revoked", "missing_permissions"...), shown to
    operators (`accord status`) and to the partnership in its other places.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RetryLater(Exception):
    """Rate limited: try again no sooner than `seconds` from now (Retry-After).

    The dispatcher gives the row back with that due time instead of waiting
    while holding its claim, so no other dispatcher can take it meanwhile.
    """

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"rate limited: retry after {seconds:g}s")
        self.seconds = max(0.0, float(seconds))


class PlatformUnavailable(Exception):
    """The platform cannot be reached at all (connection refused, timeout, 5xx).

    Transient like any other failure, but it says something about every post
    to that platform: the dispatcher backs off the rest of its pass for that
    platform instead of trying each row in turn.
    """
