# syntax=docker/dockerfile:1
# Learning Circles: API, Telegram bot and scheduler in one image.
# The first stage builds wheels (the project's, with its compiled catalogs, and its
# dependencies'); the image installs them and carries no source tree.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md alembic.ini babel.cfg ./
COPY circles circles
COPY circles_cli circles_cli
COPY bot bot
COPY api api
COPY scheduler scheduler
COPY migrations migrations
COPY locales locales
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
# The API listens on every address here, so the chat simulator is off unless
# CIRCLES_SIMULATOR=true is set (it is on by default only on a loopback address).
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CIRCLES_API_HOST=0.0.0.0 CIRCLES_DATABASE_URL=sqlite+aiosqlite:////data/circles.db
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && pip install --no-index --find-links /wheels learning-circles
RUN useradd --create-home --uid 10001 circles && mkdir /data /app && chown circles /data
# An empty working directory: a .env mounted here is read; nothing else is needed from it.
WORKDIR /app
USER circles
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["circles", "run"]
