"""The ``crosswire`` command: one module per command group."""
