"""Social assistance on the platform side: the outbox that keeps applications the back-office
could not take, and the Celery task that submits them later (nothing is lost)."""
