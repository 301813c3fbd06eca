"""Conversation flows at the Teams edge. They collect and prompt; the service does the work."""
