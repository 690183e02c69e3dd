"""Loading the demo region into the back-office database (`python -m backoffice.seed`)."""
