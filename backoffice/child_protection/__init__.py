"""Child protection (未成年人保护): a resident's report of a child at risk becomes a case for the worker who
protects children where the resident lives (docs/handoff.md, "Child protection")."""
