from hypothesis import settings

# No example database: each run (each --hypothesis-seed) finds its failures on its own,
# not by replaying what an earlier run saved.
settings.register_profile("split_1n", database=None)
settings.load_profile("split_1n")
