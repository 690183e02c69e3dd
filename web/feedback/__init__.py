"""好差评: residents rate a finished task; low ratings open a supervisor follow-up."""
