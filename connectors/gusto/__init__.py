"""Gusto (payroll) connector: employees and the compensations that give their cost rates."""

from connectors.gusto.client import GustoClient, GustoConnector

__all__ = ["GustoClient", "GustoConnector"]
