"""Tagging: pure taggers over item versions, the taxonomy, and the secrecy gate."""
