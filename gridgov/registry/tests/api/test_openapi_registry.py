"""The registry's part of /api/v1/openapi.json: every operation documented with its errors, and no schema of this
app silently replaced by a namesake from another app (django-ninja keys components by class name)."""

import inspect

from ninja import Schema

from gridgov.api.main import api
from gridgov.registry import schemas


def test_registry_schemas_are_not_shadowed_by_namesakes():
    components = api.get_openapi_schema()["components"]["schemas"]
    own = [
        cls
        for _name, cls in inspect.getmembers(schemas, inspect.isclass)
        if issubclass(cls, Schema) and cls is not Schema and cls.__module__ == schemas.__name__
    ]
    assert len(own) > 10
    for cls in own:
        if cls.__name__ not in components:
            continue  # a base class no operation uses directly
        documented = set(components[cls.__name__].get("properties", {}))
        assert documented == set(cls.model_fields), cls.__name__


def test_every_registry_operation_documents_its_errors():
    paths = {p: m for p, m in api.get_openapi_schema()["paths"].items() if p.startswith("/api/v1/registry/")}
    assert len(paths) == 12
    for path, methods in paths.items():
        for method, operation in methods.items():
            codes = {str(code) for code in operation["responses"]}
            assert {"400", "401", "404", "429"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert "403" in codes, (method, path)
