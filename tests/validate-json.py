#!/usr/bin/python3
"""validate-json.py SCHEMA DOC: validate a pmutrace JSON document (jsonschema
from Debian's python3-jsonschema). Prints the first error and exits 1."""
import json
import sys

import jsonschema

with open(sys.argv[1]) as f:
    schema = json.load(f)
try:
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    jsonschema.validate(doc, schema)
except (OSError, ValueError, jsonschema.ValidationError) as e:
    print(f"validate-json: {sys.argv[2]}: {e}".splitlines()[0], file=sys.stderr)
    sys.exit(1)
