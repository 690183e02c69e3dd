"""Districts, streets/towns and communities of the configured region."""
