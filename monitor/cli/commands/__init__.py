"""The commands, one module per topic; each registers its click commands on the main group."""
