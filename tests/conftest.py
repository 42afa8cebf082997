"""Fixture modules are owned per layer; list them here once."""

pytest_plugins = [
    "tests.fixtures.server",
    "tests.fixtures.replica",
    "tests.fixtures.sync",
    "tests.fixtures.workbench",
    "tests.fixtures.gui",
    "tests.fixtures.keyring",
]
