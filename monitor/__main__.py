from monitor.cli.entry import run

run()
