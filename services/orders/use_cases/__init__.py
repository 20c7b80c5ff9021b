"""Orders' use cases: each command runs in one transaction and is called by routes and
event handlers alike."""
