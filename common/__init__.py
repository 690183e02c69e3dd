"""Pieces every Flask process shares: settings, logging, health checks, masking."""
