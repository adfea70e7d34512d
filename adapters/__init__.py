"""Adapters translate platform events to neutral commands and replies back."""
