"""The supervision companion for Microsoft Teams."""
