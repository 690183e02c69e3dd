"""Social assistance (社会救助): published standards, the eligibility pre-check, applications."""
