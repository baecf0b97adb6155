"""URLs of the benchmark server: all of gridgov's, plus ``POST /bench/floor``, the framework floor.

The floor is the least an authenticated write over HTTP can cost in this stack: the same middleware, the same
bearer-token check as the API (``api_token_authenticate``), a JSON body parsed, one row inserted into a raw table
(``bench_floor``, created by ``bench_cases``, no model) in a transaction, a small JSON answer. gridgov's intake
(``POST /api/v1/cases``) does this plus validation, scope checks, the case number, the case, its report, its
timeline event and the audit row.
"""

import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as gridgov_urlpatterns
from gridgov.accounts.services import api_token_authenticate

FLOOR_TABLE = "bench_floor"


@csrf_exempt
@require_POST
def floor(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = api_token_authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return JsonResponse({"detail": "unauthorized", "code": "unauthorized"}, status=401)
    try:
        body = json.loads(request.body)
        title = str(body["title"])[:100]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "bad body", "code": "invalid"}, status=400)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (created_at, user_id, title) VALUES (%s, %s, %s) RETURNING id",
            [timezone.now(), user.pk, title],
        )
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/floor", floor), *gridgov_urlpatterns]
