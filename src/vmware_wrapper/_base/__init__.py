"""Layer 0, the base: pyVmomi's import, names and paths, and the value types users get back.
Pure code: nothing here talks to a server or imports another layer."""
