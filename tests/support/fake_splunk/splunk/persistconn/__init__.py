"""Fake of splunkd's ``splunk.persistconn`` (persistent REST handlers; tests only)."""
