"""BambooHR (HRIS) connector: employees, read in full or through the changed-since feed."""

from connectors.bamboohr.client import BambooHRClient, BambooHRConnector

__all__ = ["BambooHRClient", "BambooHRConnector"]
