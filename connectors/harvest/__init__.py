"""Harvest (PSA) connector: clients, users, projects, user assignments and time entries."""

from connectors.harvest.client import HarvestClient, HarvestConnector

__all__ = ["HarvestClient", "HarvestConnector"]
