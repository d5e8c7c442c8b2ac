"""Helpers the tests share: plain modules, imported like any other code. conftest.py files hold only fixtures
and hooks (tests/test_structure_tests.py checks that no module imports from one)."""
