# One image for every service; compose picks the service with its command
# (`python -m services.<name>`).
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never VIRTUAL_ENV=/app/.venv PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY libs ./libs
COPY services ./services
COPY seeds ./seeds
COPY ops ./ops
RUN uv sync --frozen --no-dev
RUN useradd --system --uid 10001 app
USER app
ENV HTTP_HOST=0.0.0.0 HTTP_PORT=8000
EXPOSE 8000
CMD ["python", "-m", "services.catalog"]
