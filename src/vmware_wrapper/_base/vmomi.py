"""pyVmomi, seen by the type checker as what it is at run time: dynamic.

pyVmomi 9 ships stubs, but they mark optional arguments as required (SessionManager.Login's
``locale``, for one) and leave much of the SOAP layer untyped, so strict checking of calls
into it reports errors in correct code. This library types its own boundary instead: the
modules that talk to pyVmomi import it from here.
"""

import importlib
from typing import Any

_pyvmomi: Any = importlib.import_module("pyVmomi")
_support: Any = importlib.import_module("pyVmomi.VmomiSupport")
_soap: Any = importlib.import_module("pyVmomi.SoapAdapter")

vim: Any = _pyvmomi.vim
vmodl: Any = _pyvmomi.vmodl
SoapStubAdapter: Any = _pyvmomi.SoapStubAdapter
GetServiceVersions: Any = _support.GetServiceVersions
versionIdMap: Any = _support.versionIdMap
SoapResponseDeserializer: Any = _soap.SoapResponseDeserializer
StubAdapterBase: Any = _soap.StubAdapterBase
ManagedObject: Any = _support.ManagedObject
