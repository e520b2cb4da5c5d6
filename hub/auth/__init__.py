"""Authentication and authorisation: roles, principals, API keys, JWTs and the ASGI middleware."""

from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Permission, Role

__all__ = ["AuthMethod", "Permission", "Principal", "Role"]
