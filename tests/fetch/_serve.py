"""Run pygeoapi (Flask app, werkzeug server) on 127.0.0.1; used by conftest.py.

Usage: python _serve.py CONFIG.yml OPENAPI.yml PORT
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    config, openapi, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.environ["PYGEOAPI_CONFIG"] = config
    os.environ["PYGEOAPI_OPENAPI"] = openapi
    from pygeoapi.flask_app import APP
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", port, APP, threaded=True, use_reloader=False)
