"""QuickBooks Online (ERP) connector: customers, jobs, invoices and payments."""

from connectors.quickbooks.client import QuickBooksClient, QuickBooksConnector

__all__ = ["QuickBooksClient", "QuickBooksConnector"]
