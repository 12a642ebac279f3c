"""The pytest plugin that users get with the package: fixtures vsphere_simulator and vsphere."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_fixtures_give_a_simulator_and_a_connected_vsphere(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def vsphere_simulator_options():
            return {"vms_per_pool": 1, "tls": True}
        """
    )
    pytester.makepyfile(
        """
        def test_one(vsphere, vsphere_simulator):
            assert vsphere_simulator.protocol == "https"
            assert vsphere.content.about.apiType == "VirtualCenter"

        def test_two(vsphere_simulator):
            assert vsphere_simulator.vm_count == 2
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
