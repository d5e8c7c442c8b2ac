"""The closing line of a run: the skipped system-tool groups and the one apt-get command for them."""
from tests.system_tools import TOOLS, reason, summary_line


def test_one_line_names_each_skipped_group_and_one_command_installs_them_all():
    line = summary_line([f"Skipped: {reason('chromium')}", f"Skipped: {reason('chromium')}",
                         f"Skipped: {reason('pdfsig')}", "Skipped: needs REDIS_URL"])
    assert "\n" not in line
    assert "Chromium (browser tests) (2)" in line and "pdfsig" in line
    assert line.endswith("sudo apt-get install -y chromium libnss3-tools poppler-utils")
    assert line.count("apt-get") == 1


def test_no_line_when_no_system_tool_was_missing():
    assert summary_line(["Skipped: needs REDIS_URL", "Skipped: the trigger exists on PostgreSQL only"]) is None


def test_every_group_says_what_it_needs_and_which_packages_bring_it():
    for name, tool in TOOLS.items():
        text = reason(name)
        assert tool.label in text and all(package in text for package in tool.packages)
