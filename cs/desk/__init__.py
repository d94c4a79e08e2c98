"""The desk's records: agents, customers, tickets, callbacks, shifts; flows.py for the steps that cross them."""
