"""Layer 1, the transport: TLS, the session and its login, the SOAP call policy (retries,
re-login, timeouts), bulk property retrieval, and the one place where vSphere faults become
this library's errors."""
