"""The Discord fixtures (fake REST API, signing key), shared with tests/discord."""

from tests.discord.conftest import fake, signing_key

__all__ = ["fake", "signing_key"]
