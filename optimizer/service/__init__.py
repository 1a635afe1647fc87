"""HTTP scheduling service for CMMS / EAM integration (``opportune serve``).

FastAPI app (:mod:`~optimizer.service.app`, wiring only) with one router per resource
(:mod:`~optimizer.service.routes`), request validation and group commit
(:mod:`~optimizer.service.submissions`), run views (:mod:`~optimizer.service.views`),
long polls and server-sent events (:mod:`~optimizer.service.events`) and middleware
(:mod:`~optimizer.service.middleware`); run store on SQLAlchemy 2
(:mod:`~optimizer.service.db`, :mod:`~optimizer.service.runs`), worker processes
(:mod:`~optimizer.service.worker`), API keys (:mod:`~optimizer.service.auth`), settings
from ``OPPORTUNE_*`` variables (:mod:`~optimizer.service.settings`) and RFC 9457 problem
details (:mod:`~optimizer.service.problems`).
"""
