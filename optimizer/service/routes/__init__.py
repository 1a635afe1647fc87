"""The API's routers: one per resource.

:mod:`~optimizer.service.routes.runs` serves both run collections (schedule and strategy
runs share their lifecycle), :mod:`~optimizer.service.routes.reports` the HTML report of a
strategy run, :mod:`~optimizer.service.routes.benchmark` fleet benchmarking (synchronous),
:mod:`~optimizer.service.routes.risk` the synchronous risk ranking,
:mod:`~optimizer.service.routes.health` liveness and readiness.
"""
