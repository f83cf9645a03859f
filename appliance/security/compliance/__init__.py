"""The compliance scanner: controls as data (policies/*.yaml), checks that read a target
root without running it, waivers, reports (text, JSON, JUnit, HTML), coverage of the
guidance, and a fleet report built from many hosts' JSON reports.

Entry points: `engine.scan()` for a root, `cli.register()` for `comptoir compliance`.
"""
