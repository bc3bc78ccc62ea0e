"""The worker that lays out compilations too large to build while the reader waits: one per
process, started when such a job is asked for (portal.background); it also takes over a job
whose worker stopped reporting (a process that died mid-layout)."""
from __future__ import annotations

from flask import Flask

from portal.background import OutboxWorker


class CompilationBuilder(OutboxWorker):
    name = "compilation-builder"
    mode_setting = "COMPILATION_BUILD"
    poll_setting = "COMPILATION_POLL_SECONDS"

    def run_once(self) -> int:
        """Build every waiting job; returns how many were built."""
        from portal.compilations import services
        from portal.extensions import db

        built = 0
        with self.app.app_context():
            try:
                while (job := services.claim()) is not None:
                    services.build(job)
                    built += 1
            except Exception:  # the jobs stay for the next pass
                self.app.logger.exception("compilation worker pass failed")
            finally:
                db.session.remove()
        return built


def init_app(app: Flask) -> None:
    app.extensions["portal_compilation_builder"] = CompilationBuilder(app)


def builder(app: Flask) -> CompilationBuilder:
    return app.extensions["portal_compilation_builder"]
