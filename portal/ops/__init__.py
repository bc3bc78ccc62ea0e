"""Operations: /healthz (the process answers) and /readyz (what it depends on works), as JSON."""
from portal.ops.views import bp

__all__ = ["bp"]
