"""Test equipment, not part of the client: the FMC simulator (``simulator/``), FMC-style
certificates (``certs``) and generated sample streams (``samples``).

Used by the tests, the benchmarks and the ``estreamer demo/simulate/certs/sample``
commands. The Splunk add-on does not ship this package (its build removes it from lib/).

May import: :mod:`estreamer.protocol`, :mod:`estreamer.records`, :mod:`estreamer.stream`,
:mod:`estreamer.errors`. Never the cli package.
"""
