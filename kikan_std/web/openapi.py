"""The OpenAPI document of the REST API (served at ``/api/v1/openapi.json``), written by hand: four
endpoints do not need a framework to describe them."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi(version: str, max_mib: int) -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    report = {"description": "JSON report (schemas/report.schema.json)",
              "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kikan-std check service",
            "version": version,
            "description": "基幹業務システム標準仕様への適合性検査 / conformance checks of municipal core-system data. "
            "Status codes as the KoSIT validator's: 200 conformant, 406 not conformant, 422 unusable input or "
            "spec, 413 too large. Beyond loopback every request needs `Authorization: Bearer <token>`.",
        },
        "paths": {
            "/api/v1/health": {"get": {"summary": "Health", "responses": {"200": {
                "description": "the server is up",
                "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "status": {"const": "ok"}, "version": {"type": "string"}}}}}}}}},
            "/api/v1/specs": {"get": {"summary": "Built-in specs with provenance", "responses": {"200": {
                "description": "list of specs", "content": {"application/json": {"schema": {"type": "array"}}}}}}},
            "/api/v1/check": {"post": {
                "summary": "Check a file, several files or a deliverable zip",
                "description": "Without `spec` or `spec_file` the upload must be one deliverable .zip. "
                f"Bodies over {max_mib:,} MiB are refused with 413 as they arrive.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": "data file(s), or one deliverable .zip"},
                        "spec": {"type": "string", "description": "built-in spec id (GET /api/v1/specs)"},
                        "spec_file": {"type": "string", "format": "binary",
                                      "description": "official workbook (.xlsx) or spec JSON"},
                        "encoding": {"type": "string", "enum": ["utf-8", "cp932", "shift_jis", "euc_jp", "auto"],
                                     "default": "utf-8"},
                        "lang": {"type": "string", "enum": ["ja", "en"], "default": "ja"},
                        "show_values": {"type": "string", "enum": ["true", "false"], "default": "false",
                                        "description": "personal values unmasked (masked by default)"},
                    }}}}},
                "responses": {
                    "200": {**report, "description": "適合 / conformant"},
                    "406": {**report, "description": "不適合 / not conformant"},
                    "400": _error("malformed body or a bad file name"),
                    "401": _error("token missing or wrong (server bound beyond loopback)"),
                    "403": _error("cross-site request"),
                    "413": _error("upload too large"),
                    "415": _error("not multipart/form-data"),
                    "422": _error("unusable input or spec (incl. an unsafe zip)"),
                    "503": _error("time limit of the run reached"),
                },
            }},
        },
        "components": {"schemas": {"Error": {"type": "object", "required": ["status", "error"], "properties": {
            "status": {"type": "integer"}, "error": {"type": "string", "description": "日本語 / English"}}}}},
    }
