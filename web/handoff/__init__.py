"""Human handoff: the queue, its rules and working hours, and what it announces (docs/handoff.md)."""
