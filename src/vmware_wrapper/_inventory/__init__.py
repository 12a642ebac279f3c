"""Layer 3, the inventory: the tree of names and paths (``tree``), the live index kept current
by the server's updates (``index``), and turning what a user typed into an object
(``resolver``)."""
