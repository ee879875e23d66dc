"""ucc-gen build hook: the add-on's own REST endpoint beside UCC's generated ones.

``ucc-gen build`` (6.6) generates ``default/restmap.conf`` and ``default/web.conf``
for the UCC handlers and then copies ``package/`` over the output: a hand-written
``package/default/restmap.conf`` or ``web.conf`` would *replace* the generated file
(the configuration pages would lose their handlers), and UCC's ``restHandlers``
option only knows EAI (``admin_external``) handlers. UCC calls
``cleanup_output_files(output_directory, ta_name)`` from this file (found beside
``package/``) at the end of the build; it appends the stanzas of the persistent
pcap handler (``bin/estreamer_pcap.py``, docs/knowledge.md) to the generated files.
"""

from __future__ import annotations

import os

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


def _stanza_names(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("[")]


def cleanup_output_files(output_directory: str, ta_name: str) -> None:
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
