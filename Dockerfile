# One image for every service, the gateway and the migration job; the command picks the role:
#   services:   uvicorn --factory services.<name>.app:create_app --host 0.0.0.0 --port 8000
#   migrations: python -m libs.kit.migrate
# Build: docker build -t alliance-platform .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install -r requirements/runtime.txt

COPY libs libs
COPY services services

# The services never need root.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin alliance
USER 10001

EXPOSE 8000
# Liveness for plain `docker run`; compose and Kubernetes define their own probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["uvicorn", "--factory", "services.gateway.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
