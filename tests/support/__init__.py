"""Test helpers: scripted upstream servers and a gateway running in a background thread."""
