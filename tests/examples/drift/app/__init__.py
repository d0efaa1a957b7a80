"""A small chat-and-tasks application whose models are checked against its migrations."""
