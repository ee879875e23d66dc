"""Layer 2, records: what one eStreamer record means, without any I/O of its own.

Here live the layout table generated from ``spec/records.yaml`` (``catalogue``,
``data/catalogue.json``), the wire value conversions (``values``), the decoded
:class:`~estreamer.records.record.Record`, the decoder and its inverse the encoder,
the generated fast decoders (``fastpath``), the metadata cache and decoration
(``metadata``, static name tables in ``names``) and the output formatters
(``formatters/``: Splunk key=value, JSON, CEF).

May import: :mod:`estreamer.protocol` (layer 1), :mod:`estreamer.errors`,
:mod:`estreamer.durable`. Never the stream, testing or cli packages.
"""
