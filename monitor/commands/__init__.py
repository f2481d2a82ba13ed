"""CLI commands, one module per area. Each module decorates its functions with `@main.command()`."""
