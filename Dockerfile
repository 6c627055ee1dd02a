# The encours API: the api extra only (no shap, matplotlib or MLflow server), at the
# versions `make test` passed with (requirements.lock as constraints), as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_WAIT_POLICY=PASSIVE \
    WORKERS=2 \
    ENCOURS_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/encours-metrics

# LightGBM needs OpenMP's runtime.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 encours

WORKDIR /app
# The packages and pyproject.toml (.dockerignore leaves out tests, notebooks, data, venvs).
COPY . .
RUN pip install --constraint requirements.lock ".[api]"

USER encours
WORKDIR /home/encours
EXPOSE 8000
# Shell form, so that ${WORKERS} is read when the container starts.
CMD exec encours serve --host 0.0.0.0 --port 8000 --workers ${WORKERS}
