"""Request and response bodies of the HTTP contract (API.md), one module per resource."""
