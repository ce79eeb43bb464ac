"""User code for tests/project/test_types.py: mypy checks these files (never imported as tests)."""
