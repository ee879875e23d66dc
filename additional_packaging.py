"""ucc-gen build hook: the add-on's own REST endpoint beside UCC's generated ones, and
no libraries in lib/ that nothing imports.

``ucc-gen build`` (6.6) generates ``default/restmap.conf`` and ``default/web.conf``
for the UCC handlers and then copies ``package/`` over the output: a hand-written
``package/default/restmap.conf`` or ``web.conf`` would *replace* the generated file
(the configuration pages would lose their handlers), and UCC's ``restHandlers``
option only knows EAI (``admin_external``) handlers. UCC calls
``cleanup_output_files(output_directory, ta_name)`` from this file (found beside
``package/``) at the end of the build, after pip has filled lib/; it appends the
stanzas of the persistent pcap handler (``bin/estreamer_pcap.py``, docs/knowledge.md)
to the generated files, and removes from lib/ what only solnlib's optional
observability module (``solnlib.observability``, OpenTelemetry metrics over gRPC)
imports: grpcio, opentelemetry, protobuf and their helpers, about 20 MB in 1,000
files. Nothing the input, the REST handlers or the checkpointer run imports them;
tests/splunk/test_build.py imports all of those from the built lib/ on Python 3.9 and
3.13 and checks that none of the removed packages is loaded. (UCC's ``.uccignore``
is deprecated since UCC 5.53 in favour of this hook.)
"""

from __future__ import annotations

import glob
import os
import shutil

#: conf file -> stanzas appended to UCC's generated file
STANZAS = {
    "restmap.conf": """\
# The packets of an intrusion event as a pcap file (workflow action
# estreamer_download_pcap): GET /services/estreamer/pcap
[script:estreamer_pcap]
match = /estreamer/pcap
script = estreamer_pcap.py
scripttype = persist
handler = estreamer_pcap.PcapHandler
requireAuthentication = true
output_modes = json
passPayload = false
passHttpHeaders = false
passSession = true
python.version = python3
python.required = 3.9, 3.13
""",
    "web.conf": """\
# Splunk Web: /splunkd/__raw/services/estreamer/pcap (the workflow action's link)
[expose:estreamer_pcap]
pattern = estreamer/pcap
methods = GET
""",
}


#: what solnlib.observability alone needs: import packages and their dist-info prefixes
UNUSED_PACKAGES = ("grpc", "opentelemetry", "google", "importlib_metadata", "zipp")
UNUSED_DISTRIBUTIONS = ("grpcio", "opentelemetry_*", "protobuf", "googleapis_common_protos",
                        "importlib_metadata", "zipp")


def prune_lib(lib: str) -> list[str]:
    """Remove the unused packages from ``lib`` (top level only); the paths removed."""
    paths = [os.path.join(lib, name) for name in UNUSED_PACKAGES]
    for pattern in UNUSED_DISTRIBUTIONS:
        paths.extend(glob.glob(os.path.join(lib, f"{pattern}-*.dist-info")))
    removed = [p for p in paths if os.path.isdir(p)]
    for path in removed:
        shutil.rmtree(path)
    return removed


def _stanza_names(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("[")]


def cleanup_output_files(output_directory: str, ta_name: str) -> None:
    prune_lib(os.path.join(output_directory, ta_name, "lib"))
    default = os.path.join(output_directory, ta_name, "default")
    for name, text in STANZAS.items():
        path = os.path.join(default, name)
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
        present = set(_stanza_names(current))
        clash = [s for s in _stanza_names(text) if s in present]
        if clash:
            raise RuntimeError(f"{path} already has {clash}: a hand-written copy in package/ "
                               "replaced UCC's file, or the build ran twice")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(("" if current.endswith("\n") else "\n") + "\n" + text)
