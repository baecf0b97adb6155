from ninja import Router, Schema

from gridgov.api.schemas import ERRORS
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

router = Router(tags=["me"])


class GrantOut(Schema):
    role: str
    role_label: str
    region_code: str
    region_name: str
    region_level: str
    department: str | None


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    read_only: bool
    grants: list[GrantOut]
    scope_roots: list[str]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user, roles and scopes")
def me(request):
    user = request.auth
    scope = scope_for(user)
    return {
        "username": user.username,
        "display_name": user.display_name or user.username,
        "roles": sorted(scope.roles),
        "read_only": scope.is_read_only,
        "grants": [
            {
                "role": g.role,
                "role_label": str(Role(g.role).label),
                "region_code": g.region_code,
                "region_name": g.region_name,
                "region_level": g.region_level,
                "department": g.department_name,
            }
            for g in scope.grants
        ],
        "scope_roots": [path.rstrip("/").rsplit("/", 1)[-1] for path in scope.root_paths()],
    }
