"""Operator commands (`python -m ops --help`): the things an on-call operator does by hand."""
