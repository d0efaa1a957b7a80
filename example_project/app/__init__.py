"""A small application whose schema changes in the steps pytest-dualwrite checks."""
