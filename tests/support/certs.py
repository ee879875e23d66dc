"""The test certificates' secret."""

#: password of the session's client.pkcs12 (throw-away test certificates only)
PKCS12_PASSWORD = "test-only-password"
