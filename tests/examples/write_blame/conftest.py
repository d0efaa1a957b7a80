from hypothesis import settings

# The same examples on every run: the failures these tests plant are found the same way.
settings.register_profile("fixed", derandomize=True, database=None, stateful_step_count=8)
settings.load_profile("fixed")
