"""Helpers the tests share; no test module imports another test module or a conftest
(tests/test_layers.py checks it).

``records``          minimal records of every type, hostile text
``layout_values``    Hypothesis strategies for the values of any layout
``faulty_servers``   TLS servers that misbehave as broken FMCs do
``live``             the stream client against simulators: helpers and exactly-once checks
``certs``            the password of the session's test PKCS12
``splunk_emulation/`` Splunk emulation for tests/knowledge: conf files, props/transforms
                     at search time, eval and SPL checks, the inventory of the add-on
``splunkd_standin``  a splunkd REST stand-in (conf, credentials, KV store) for tests/splunk
``splunk_harness``   runs the built add-on's scripts as splunkd does; ``fake_splunk/``
                     is the ``splunk`` package those scripts import outside Splunk
"""
