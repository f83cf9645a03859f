"""The till's side of its link to the office."""
