"""Feed rendering (RSS 2.0, Atom 1.0, JSON Feed) and the HTTP feed server.

Filled by the newsroom-feeds issue.
"""
