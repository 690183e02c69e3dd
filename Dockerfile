# The app image: back-office, actions, web and the Celery worker (Python 3.11).
# The venv sits at /app/.venv so the commands are the Procfile's, character for character.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml ./
COPY common ./common
COPY backoffice ./backoffice
COPY actions ./actions
COPY web ./web
COPY tools ./tools
COPY bot/domain ./bot/domain
COPY nlu_data ./nlu_data
COPY alembic.ini Procfile gunicorn.conf.py ./
RUN python -m venv /app/.venv && /app/.venv/bin/pip install .
# The danger classifier (common/danger) is trained into the image, so a web process only loads it.
RUN /app/.venv/bin/python -c "from common.danger import classifier; classifier.trained()"
# a fixed numeric uid: Kubernetes checks runAsNonRoot against it (deploy/kubernetes, runAsUser)
# var/documents: the documents' volume in compose is created with this directory's owner (docs/documents.md)
RUN mkdir -p /app/var/documents && groupadd --system --gid 10001 civic && useradd --system --uid 10001 --gid 10001 --home /app civic && chown -R civic /app
USER 10001:10001
