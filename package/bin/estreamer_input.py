"""UCC input helper for the ``estreamer`` modular input: only delegates.

The generated ``bin/estreamer.py`` (a splunklib ``Script``) imports
``import_declare_test`` (which puts ``lib/`` on ``sys.path``) and then these two
functions; the work is done by the ``estreamer_splunk`` glue package beside this file.
"""

from __future__ import annotations

from estreamer_splunk import modinput


def validate_input(definition):
    """splunkd ``--validate-arguments``: raise with a one-line reason when invalid."""
    modinput.validate(definition)


def stream_events(inputs, ew):
    """splunkd's stream run: one input stanza per process (use_single_instance=false)."""
    modinput.stream(inputs, ew)
