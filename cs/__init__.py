"""cs: the customer-service desk toolkit."""

__version__ = "0.1.0"
