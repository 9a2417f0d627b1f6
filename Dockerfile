# casetrail: the API (`casetrail serve`) and the worker (`casetrail worker`) from one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first (pinned by requirements.lock), so a code change does not reinstall them.
COPY requirements.lock pyproject.toml README.md LICENSE ./
COPY domain ./domain
COPY application ./application
COPY infrastructure ./infrastructure
COPY api ./api
RUN pip install -c requirements.lock . \
    && useradd --create-home --uid 10001 casetrail \
    && mkdir /keys /audit && chown casetrail /keys /audit

USER casetrail
# Settings: see README "Configuration"; the integrity key lives in ~/.config/casetrail unless
# CASETRAIL_INTEGRITY_KEY_FILE says otherwise (mount it from a secret).
ENV CASETRAIL_HOST=0.0.0.0 CASETRAIL_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["casetrail"]
CMD ["serve", "--workers", "2"]
