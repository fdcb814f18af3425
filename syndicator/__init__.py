"""Syndicator: collects Resolution 57 documents and S&T task records, tags them,
publishes them as feeds and posts, and logs every act of dissemination."""

__version__ = "0.1.0"
