"""Salesforce (CRM) connector: Accounts, Opportunities and Contacts over the REST API."""

from connectors.salesforce.client import SalesforceClient, SalesforceConnector

__all__ = ["SalesforceClient", "SalesforceConnector"]
