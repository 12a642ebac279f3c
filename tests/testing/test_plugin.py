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


def test_without_a_simulator_the_fixtures_say_what_to_do_in_one_line(pytester):
    # No $VMW_SIM, no vmw-sim on PATH, and the package's own copy looked for elsewhere.
    pytester.makeconftest(
        """
        import os
        import vmware_wrapper.testing._simulator as module

        os.environ["VMW_SIM"] = ""
        os.environ["PATH"] = ""
        module.__file__ = os.path.join(os.getcwd(), "nowhere", "_simulator.py")
        """
    )
    pytester.makepyfile(
        """
        def test_one(vsphere):
            pass

        def test_two(vsphere_simulator):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    message = "the vmw-sim simulator is not installed: *VMW_SIM*"
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_one*",
            message,
            "*ERROR at setup of test_two*",
            message,
            "*short test summary info*",
        ],
        consecutive=True,
    )
