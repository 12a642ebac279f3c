"""Layer 2, following the server: the one property-collector loop (``follow``) and what is
built on it: task waits, condition waits, and the handles operations return."""
