"""Source kinds: each a retriever plus a pure parser, registered by name."""
