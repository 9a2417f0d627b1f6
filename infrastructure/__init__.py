"""Drivers: storage, settings, calendar data, clocks and the wiring that builds the service."""
