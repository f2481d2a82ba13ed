"""The commands, one module per topic; each registers its click commands on the main group. A run imports only
the module of the command it runs, found in `COMMAND_MODULES` (monitor/cli/main.py): a new command is added there
too (tests/test_cli_startup.py fails when one is missing)."""
