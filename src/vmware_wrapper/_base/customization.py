"""Guest customization for clones, as small typed specs instead of pyVmomi's object trees.

    vs.clone_vm("tmpl-ubuntu", "web-07",
                customization=LinuxCustomization("web-07", domain="example.com",
                                                 ip="10.0.0.7", netmask="255.255.255.0",
                                                 gateway="10.0.0.1", dns_servers=("10.0.0.2",)))

Every field is checked when the spec is made (InvalidInputError), before anything is sent.
Without ``ip``, the guest's NIC uses DHCP.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInputError
from .vmomi import vim

_HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)$"
)


def _address(name: str, value: str | None) -> None:
    if value is not None:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise InvalidInputError(f"{name}={value!r} is not an IPv4 address") from None


@dataclass(frozen=True, kw_only=True)
class _Network:
    """The NIC settings both kinds share."""

    ip: str | None = None  # None: DHCP
    netmask: str | None = None
    gateway: str | None = None
    dns_servers: tuple[str, ...] = ()
    dns_suffixes: tuple[str, ...] = ()

    def _check_network(self) -> None:
        _address("ip", self.ip)
        _address("netmask", self.netmask)
        _address("gateway", self.gateway)
        for server in self.dns_servers:
            _address("dns_servers", server)
        if (self.ip is None) != (self.netmask is None):
            raise InvalidInputError("ip and netmask go together (without them: DHCP)")
        if self.ip is not None and self.netmask is not None:
            try:
                ipaddress.IPv4Network(f"{self.ip}/{self.netmask}", strict=False)
            except ValueError:
                raise InvalidInputError(f"netmask={self.netmask!r} is not a netmask") from None
        for suffix in self.dns_suffixes:
            if not _DOMAIN.match(suffix):
                raise InvalidInputError(f"dns_suffixes: {suffix!r} is not a domain name")

    def _adapters(self, nics: int) -> list[Any]:
        """One mapping per NIC, as vSphere requires: these settings for the first, DHCP for
        the others."""
        c = vim.vm.customization
        others = [c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator()))]
        return [self._adapter(), *(others * max(nics - 1, 0))]

    def _adapter(self) -> Any:
        c = vim.vm.customization
        adapter = c.IPSettings()
        if self.ip is None:
            adapter.ip = c.DhcpIpGenerator()
        else:
            adapter.ip = c.FixedIp(ipAddress=self.ip)
            adapter.subnetMask = self.netmask
            if self.gateway:
                adapter.gateway = [self.gateway]
        if self.dns_servers:
            adapter.dnsServerList = list(self.dns_servers)
        return c.AdapterMapping(adapter=adapter)

    def _globals(self) -> Any:
        return vim.vm.customization.GlobalIPSettings(
            dnsServerList=list(self.dns_servers), dnsSuffixList=list(self.dns_suffixes)
        )


@dataclass(frozen=True)
class LinuxCustomization(_Network):
    """Host name, domain, and a static IP (or DHCP) for a Linux guest."""

    hostname: str = ""
    domain: str = ""
    time_zone: str | None = None  # e.g. "Europe/Berlin"
    utc_clock: bool = True

    def __post_init__(self) -> None:
        if not _HOSTNAME.match(self.hostname):
            raise InvalidInputError(
                f"hostname={self.hostname!r}: 1 to 63 letters, digits and inner hyphens"
            )
        if self.domain and not _DOMAIN.match(self.domain):
            raise InvalidInputError(f"domain={self.domain!r} is not a domain name")
        self._check_network()
        # vSphere's CustomizationLinuxPrep requires a domain (it is not optional in the API
        # reference); without one pyVmomi refuses the spec with a bare TypeError.
        if not self.domain:
            raise InvalidInputError(
                "domain='': Linux guest customization needs a DNS domain, e.g. 'example.com'"
            )

    def to_spec(self, nics: int = 1) -> Any:
        """The pyVmomi CustomizationSpec, for a VM with this many NICs."""
        c = vim.vm.customization
        identity = c.LinuxPrep(
            hostName=c.FixedName(name=self.hostname),
            domain=self.domain,
            hwClockUTC=self.utc_clock,
            timeZone=self.time_zone,
        )
        return c.Specification(
            identity=identity, globalIPSettings=self._globals(), nicSettingMap=self._adapters(nics)
        )


@dataclass(frozen=True)
class WindowsCustomization(_Network):
    """Computer name, administrator password, and a workgroup or domain for a Windows guest.

    Join a domain with ``domain``, ``domain_user`` and ``domain_password``; otherwise the
    guest joins ``workgroup`` (default "WORKGROUP"). Passwords are left out of ``repr()``.
    """

    computer_name: str = ""
    admin_password: str = field(default="", repr=False)
    workgroup: str | None = None
    domain: str | None = None
    domain_user: str | None = None
    domain_password: str | None = field(default=None, repr=False)
    full_name: str = "Administrator"
    organization: str = "Organization"
    time_zone: int = 85  # Windows time zone index: 85 is GMT
    product_key: str | None = None

    def __post_init__(self) -> None:
        # NetBIOS names: at most 15 characters.
        if not _HOSTNAME.match(self.computer_name) or len(self.computer_name) > 15:
            raise InvalidInputError(
                f"computer_name={self.computer_name!r}: 1 to 15 letters, digits and inner hyphens"
            )
        if not self.admin_password:
            raise InvalidInputError("an admin_password is required")
        if self.domain and self.workgroup:
            raise InvalidInputError("join a domain or a workgroup, not both")
        if self.domain:
            if not _DOMAIN.match(self.domain):
                raise InvalidInputError(f"domain={self.domain!r} is not a domain name")
            if not self.domain_user or not self.domain_password:
                raise InvalidInputError("joining a domain needs domain_user and domain_password")
        self._check_network()

    def to_spec(self, nics: int = 1) -> Any:
        """The pyVmomi CustomizationSpec, for a VM with this many NICs."""
        c = vim.vm.customization

        def password(value: str) -> Any:
            return c.Password(value=value, plainText=True)

        identification = c.Identification()
        if self.domain:
            identification.joinDomain = self.domain
            identification.domainAdmin = self.domain_user
            identification.domainAdminPassword = password(self.domain_password or "")
        else:
            identification.joinWorkgroup = self.workgroup or "WORKGROUP"
        identity = c.Sysprep(
            guiUnattended=c.GuiUnattended(
                password=password(self.admin_password), timeZone=self.time_zone, autoLogon=False
            ),
            userData=c.UserData(
                computerName=c.FixedName(name=self.computer_name),
                fullName=self.full_name,
                orgName=self.organization,
                productId=self.product_key or "",
            ),
            identification=identification,
        )
        return c.Specification(
            identity=identity, globalIPSettings=self._globals(), nicSettingMap=self._adapters(nics)
        )
