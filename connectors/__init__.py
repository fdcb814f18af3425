"""Outbound connectors to partner platforms: one module per platform behind one protocol.

Nothing is registered yet: the dispatch issue adds the protocol and the first connectors.
"""
