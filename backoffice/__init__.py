"""The reference back-office: the bureau's systems as an HTTP API (contract: openapi.json)."""
