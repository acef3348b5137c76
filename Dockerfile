# PlaceBot: one image for every process in the Procfile (web, worker, release).
#   docker build -t placebot .
#   docker run --env-file .env placebot            # web: placebot serve
#   docker run --env-file .env placebot worker     # worker: placebot worker
#   docker run --env-file .env placebot migrate    # release: placebot migrate
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY adapters adapters
COPY bot bot
COPY config config
COPY storage storage
COPY alembic.ini .
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
# A user with no password, no shell and no home to write to beyond the app's own.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin placebot
COPY --from=build /install /usr/local
ENV PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    PLACEBOT_LOG_FORMAT=json
USER placebot
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3978\")}/readyz', timeout=4)"]
ENTRYPOINT ["placebot"]
CMD ["serve"]
