from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime


class JobRun(Base):
    """The last pass of each scheduler job (one row per job, overwritten): when it ran, whether
    it failed, and its counts. The `heartbeat` job's row says the scheduler is alive."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict] = mapped_column(Json)  # {name: number}: what the pass did
    error: Mapped[str | None] = mapped_column(String(1000))
