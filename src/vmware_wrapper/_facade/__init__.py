"""Layer 5, the facade: the public page of every operation, one module per concern (naming,
power, provisioning, OVF, content libraries, placement, snapshots, annotations, guests and
tags, events and statistics, bulk), put together as ``VSphere`` in ``_vsphere.py``.

A facade method holds what users see (its signature with the defaults, its docstring and
its return types, precisely typed with ``typing.overload`` for ``wait=``); its work is the
operation function of the same name in ``_operations``, run by ``@operation``.
"""
