"""The console's page routes."""
