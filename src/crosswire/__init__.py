"""crosswire: one gateway, every coding agent, any LLM endpoint."""

__version__ = "0.1.0"
