"""Layer 3, stream: everything that talks to an FMC or to disk on the client's side.

TLS with the FMC's PKCS12 (``tls``), the stream client that drives the layer-1 session
over a socket and reconnects with backoff (``client``), bookmarks (``bookmark``), the
standalone outputs (``outputs``), the per-second monitor (``monitor``), the eNcore-style
configuration (``config``) and the connection check of the TAC note (``diagnostics``).

May import: :mod:`estreamer.protocol`, :mod:`estreamer.records`, :mod:`estreamer.errors`,
:mod:`estreamer.durable`. Never the testing or cli packages.
"""
