"""Layer 4, the operations: one module per concern (power, provision (clones), create,
addresses, hardware, placement, folders, snapshots, fields, guest, tags, events, stats, bulk,
ovf). Each receives what it needs through ``context.Ops`` and shared checks from ``checks``;
operation modules never import each other."""
