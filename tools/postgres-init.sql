-- The back-office stands in for the bureau's own systems: its own database next to the platform's.
CREATE DATABASE backoffice OWNER civic;
