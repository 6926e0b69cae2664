# The reserver server: `reserver serve` on the store named by RESERVER_DATABASE_URL
# (PostgreSQL in docker-compose.yml), else a SQLite file in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RESERVER_DATA_DIR=/data \
    RESERVER_CONFIG_DIR=/data/config \
    RESERVER_LOG_DIR=/data/log

WORKDIR /app
COPY pyproject.toml README.md ./
COPY reserver_core ./reserver_core
COPY reserver_cli ./reserver_cli
COPY reserver_tui ./reserver_tui
COPY server ./server
RUN pip install --no-cache-dir '.[postgres,mysql]' \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home reserver

# Not root: the server only needs its data volume.
USER reserver
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]

# SIGTERM (docker stop) ends it cleanly: requests in flight finish, the expiry timer stops.
STOPSIGNAL SIGTERM
CMD ["reserver", "serve", "--host", "0.0.0.0", "--port", "8000"]
