from fitbench.cli import run

run()
