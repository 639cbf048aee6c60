"""Running the app as a service: several replicas behind nginx (serve.py), container files at the root."""
