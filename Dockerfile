# The app as a container image: what ./run app does, baked in, run by a user without privileges.
#   docker build -t gs-office-map .
#   docker run --rm -p 8501:8501 gs-office-map          # then open http://localhost:8501
# Several replicas behind nginx: compose.yaml. Checked offline by tests/test_setup.py (hadolint).
FROM python:3.11-slim-bookworm

# MALLOC_ARENA_MAX: two malloc arenas, as ./run app (memory per session, dashboard/process.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Noto fonts for Arabic, as ./run app installs them (Bookworm's version, pinned).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core=20201225-1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Requirements first: the layer with the packages is rebuilt only when they change.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Leaflet, markercluster and the basemap into ./static now: the image serves the map with no
# network. The code stays root's and read-only for the app, which writes nothing at run time.
RUN python -m geo.maps.assets \
    && groupadd --system --gid 10001 app \
    && useradd --system --create-home --uid 10001 --gid app --shell /usr/sbin/nologin app

# Numeric, so that a host or Kubernetes (runAsNonRoot) can tell it is not root.
USER 10001:10001
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]
CMD ["python", "-m", "streamlit", "run", "launch.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.fileWatcherType=none"]
