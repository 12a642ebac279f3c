"""Guest customization for clones, as small typed specs instead of pyVmomi's object trees.

    vs.clone_vm("tmpl-ubuntu", "web-07",
                customization=LinuxCustomization("web-07", domain="example.com",
                                                 ip="10.0.0.7", netmask="255.255.255.0",
                                                 gateway="10.0.0.1", dns_servers=("10.0.0.2",)))

    # several NICs: one NicSettings each, in the order of the VM's NICs
    LinuxCustomization("web-07", domain="example.com", nics=(
        NicSettings("10.0.0.7/24", gateway="10.0.0.1", ipv6="fd00::7/64"),
        NicSettings(),                                    # DHCP
        NicSettings("192.168.5.7", netmask="255.255.255.0", dhcpv6=True),
    ))

Every field is checked when the spec is made (InvalidInputError), before anything is sent;
that there are no more NIC settings than the clone has NICs is checked by clone_vm. Without
``ip`` (or ``nics``), the guest's NICs use DHCP.
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
_DEFAULT_IPV6_PREFIX = 64


def _address(name: str, value: Any) -> None:
    if value is not None:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise InvalidInputError(f"{name}={value!r} is not an IPv4 address") from None


def _netmask(name: str, value: str) -> int:
    """The prefix length of a dotted netmask, "255.255.255.0" -> 24: its ones must come
    first (ipaddress also takes host masks, "0.0.0.255", which vSphere does not)."""
    _address(name, value)
    bits = int(ipaddress.IPv4Address(value))
    zeros = ~bits & 0xFFFFFFFF
    if bits == 0 or zeros & (zeros + 1):
        raise InvalidInputError(f"{name}={value!r} is not a netmask, e.g. '255.255.255.0'")
    return 32 - zeros.bit_length()


@dataclass(frozen=True)
class NicSettings:
    """The addresses one NIC of a customized guest gets.

        NicSettings("10.0.0.5/24", gateway="10.0.0.1")           # static IPv4
        NicSettings("10.0.0.5", netmask="255.255.255.0")          # the same
        NicSettings()                                              # DHCP
        NicSettings(ipv6="fd00::5/64", ipv6_gateway="fd00::1")     # and static IPv6
        NicSettings(dhcpv6=True)                                   # DHCP, and DHCPv6

    IPv4 is static (``ip`` with a netmask, as "a.b.c.d/nn" or ``netmask``) or DHCP (no
    ``ip``). IPv6 (vSphere's CustomizationIPSettings.ipV6Spec) is static (``ipv6``, prefix
    64 unless given), DHCPv6 (``dhcpv6=True``) or left alone. ``dns_servers``: this NIC's
    own (Windows guests set DNS servers per NIC; Linux guests use the customization's).
    """

    ip: str | None = None
    netmask: str | None = None
    gateway: str | None = None
    ipv6: str | None = None
    ipv6_gateway: str | None = None
    dhcpv6: bool = False
    dns_servers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ip, netmask = self.ip, self.netmask
        if ip is not None and not isinstance(ip, str):
            raise InvalidInputError(f"ip={ip!r}: an IPv4 address, e.g. '10.0.0.5/24'")
        if ip is not None and "/" in ip:
            try:
                interface = ipaddress.IPv4Interface(ip)
            except ValueError:
                raise InvalidInputError(
                    f"ip={ip!r} is not an IPv4 address with a prefix, e.g. '10.0.0.5/24'"
                ) from None
            if netmask is not None and netmask != str(interface.netmask):
                raise InvalidInputError(f"ip={ip!r} and netmask={netmask!r} disagree")
            if interface.network.prefixlen == 0:
                raise InvalidInputError(f"ip={ip!r}: the prefix is 1 to 32")
            object.__setattr__(self, "ip", str(interface.ip))
            object.__setattr__(self, "netmask", str(interface.netmask))
        _address("ip", self.ip)
        if self.netmask is not None:
            _netmask("netmask", self.netmask)
        _address("gateway", self.gateway)
        if (self.ip is None) != (self.netmask is None):
            raise InvalidInputError("ip and netmask go together (without them: DHCP)")
        if self.gateway is not None:
            if self.ip is None:
                raise InvalidInputError(f"gateway={self.gateway!r}: only with a static ip")
            network = ipaddress.IPv4Interface(f"{self.ip}/{self.netmask}").network
            if ipaddress.IPv4Address(self.gateway) not in network:
                raise InvalidInputError(
                    f"gateway={self.gateway!r} is not in {self.ip}'s network {network}"
                )
        if not isinstance(self.dhcpv6, bool):
            raise InvalidInputError(f"dhcpv6={self.dhcpv6!r}: True or False")
        if self.ipv6 is not None:
            if self.dhcpv6:
                raise InvalidInputError("ipv6 or dhcpv6=True, not both")
            address = self.ipv6 if "/" in str(self.ipv6) else f"{self.ipv6}/{_DEFAULT_IPV6_PREFIX}"
            try:
                interface6 = ipaddress.IPv6Interface(address)
            except ValueError:
                raise InvalidInputError(
                    f"ipv6={self.ipv6!r} is not an IPv6 address, e.g. 'fd00::5/64'"
                ) from None
            if interface6.network.prefixlen == 0:
                raise InvalidInputError(f"ipv6={self.ipv6!r}: the prefix is 1 to 128")
            object.__setattr__(self, "ipv6", interface6.with_prefixlen)
        if self.ipv6_gateway is not None:
            if self.ipv6 is None:
                raise InvalidInputError(
                    f"ipv6_gateway={self.ipv6_gateway!r}: only with a static ipv6"
                )
            try:
                ipaddress.IPv6Address(self.ipv6_gateway)
            except ValueError:
                raise InvalidInputError(
                    f"ipv6_gateway={self.ipv6_gateway!r} is not an IPv6 address"
                ) from None
        object.__setattr__(self, "dns_servers", _servers("dns_servers", self.dns_servers))

    def _adapter(self, dns_servers: tuple[str, ...]) -> Any:
        """This NIC's mapping; ``dns_servers``: the customization's, for a NIC without its
        own."""
        mapping = _adapter(self.ip, self.netmask, self.gateway, self.dns_servers or dns_servers)
        if self.ipv6 is not None:
            c = vim.vm.customization
            address, prefix = self.ipv6.split("/")
            mapping.adapter.ipV6Spec = c.IPSettings.IpV6AddressSpec(
                ip=[c.FixedIpV6(ipAddress=address, subnetMask=int(prefix))],
                gateway=[self.ipv6_gateway] if self.ipv6_gateway else None,
            )
        elif self.dhcpv6:
            c = vim.vm.customization
            mapping.adapter.ipV6Spec = c.IPSettings.IpV6AddressSpec(ip=[c.DhcpIpV6Generator()])
        return mapping


def _adapter(
    ip: str | None, netmask: str | None, gateway: str | None, dns_servers: tuple[str, ...]
) -> Any:
    """A NIC's mapping with its IPv4 settings: static, or DHCP without ``ip``."""
    c = vim.vm.customization
    adapter = c.IPSettings()
    if ip is None:
        adapter.ip = c.DhcpIpGenerator()
    else:
        adapter.ip = c.FixedIp(ipAddress=ip)
        adapter.subnetMask = netmask
        if gateway:
            adapter.gateway = [gateway]
    if dns_servers:
        adapter.dnsServerList = list(dns_servers)
    return c.AdapterMapping(adapter=adapter)


def _servers(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"{name}={value!r}: a list of addresses, e.g. ('10.0.0.2',)")
    for server in value:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise InvalidInputError(f"{name}: {server!r} is not an IP address") from None
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class _Network:
    """The NIC settings both kinds share: the first NIC's (``ip``, ``netmask``,
    ``gateway``), or each NIC's (``nics``); DNS servers and search domains."""

    ip: str | None = None  # None: DHCP
    netmask: str | None = None
    gateway: str | None = None
    dns_servers: tuple[str, ...] = ()
    dns_suffixes: tuple[str, ...] = ()
    nics: tuple[NicSettings, ...] = ()

    def _check_network(self) -> None:
        _address("ip", self.ip)
        if self.netmask is not None:
            _netmask("netmask", self.netmask)
        _address("gateway", self.gateway)
        object.__setattr__(self, "dns_servers", _servers("dns_servers", self.dns_servers))
        if (self.ip is None) != (self.netmask is None):
            raise InvalidInputError("ip and netmask go together (without them: DHCP)")
        if isinstance(self.dns_suffixes, str) or not isinstance(self.dns_suffixes, (list, tuple)):
            raise InvalidInputError(
                f"dns_suffixes={self.dns_suffixes!r}: a list of domains, e.g. ('example.com',)"
            )
        for suffix in self.dns_suffixes:
            if not isinstance(suffix, str) or not _DOMAIN.match(suffix):
                raise InvalidInputError(f"dns_suffixes: {suffix!r} is not a domain name")
        object.__setattr__(self, "dns_suffixes", tuple(self.dns_suffixes))
        if isinstance(self.nics, NicSettings) or not isinstance(self.nics, (list, tuple)):
            raise InvalidInputError(
                f"nics={self.nics!r}: a list of NicSettings, one for each NIC in order"
            )
        for i, nic in enumerate(self.nics):
            if not isinstance(nic, NicSettings):
                raise InvalidInputError(f"nics[{i}]={nic!r}: a NicSettings")
        object.__setattr__(self, "nics", tuple(self.nics))
        if self.nics and (self.ip, self.netmask, self.gateway) != (None, None, None):
            raise InvalidInputError(
                "ip, netmask and gateway set the first NIC; with nics, set it there"
            )

    def _adapters(self, nics: int) -> list[Any]:
        """One mapping per NIC, as vSphere requires (CustomizationSpec.nicSettingMap): the
        settings given, in order, and DHCP for the NICs after them."""
        if len(self.nics) > nics:
            raise InvalidInputError(f"nics: settings for {len(self.nics)} NICs, the VM has {nics}")
        c = vim.vm.customization
        dhcp = [c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator()))]
        if self.nics:
            given = [nic._adapter(self.dns_servers) for nic in self.nics]
        else:  # ip, netmask and gateway: the first NIC
            given = [_adapter(self.ip, self.netmask, self.gateway, self.dns_servers)]
        return [*given, *(dhcp * max(nics - len(given), 0))]

    def _globals(self) -> Any:
        return vim.vm.customization.GlobalIPSettings(
            dnsServerList=list(self.dns_servers), dnsSuffixList=list(self.dns_suffixes)
        )


@dataclass(frozen=True)
class LinuxCustomization(_Network):
    """Host name, domain, and static addresses (or DHCP) for a Linux guest's NICs."""

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
