"""Fixtures of the grading service's component tests: a course per test, a clock, services in this process."""

import io
import os

import pytest

from coursekit import course
from coursekit.service import faults
from coursekit.service.policy import service_config
from coursekit.service.serve import Service
from tests.support.service import Clock, FakeEngine, ServiceCourse, utc

#: The service's time when a test starts: long before the machine's clock, so that a submission's time
#: is the service's clock (a folder's change time, the machine's, is later) and tests choose it.
START = utc("2026-11-20 12:00")


@pytest.fixture
def sc(template, tmp_path, monkeypatch):
    """A fresh course and exchange (tests.support.service.ServiceCourse)."""
    made = ServiceCourse(template, tmp_path)
    monkeypatch.setenv(
        "NBGRADER_EXCHANGE_ROOT", str(made.exchange)
    )  # read by the course's nbgrader_config.py
    return made


@pytest.fixture
def clock():
    return Clock(START)


class Running:
    """A Service in this process, its log in ``out``; ``step()`` runs passes, ``crash()`` ends it as a kill would."""

    def __init__(self, sc, clock, engine, **overrides):
        self.sc, self.clock, self.engine = sc, clock, engine
        self.out = io.StringIO()
        settings = service_config(sc.root, require_owner=False, **overrides)
        self.service = Service(sc.root, settings, self.out, clock=clock, make_engine=lambda service: engine)
        self.service.start()

    def step(self, passes=1):
        for _ in range(passes):
            self.service.step()
        return self

    def log(self):
        return self.out.getvalue()

    def crash(self):
        """What a SIGKILL leaves: nothing cleaned up; the kernel closes the lock and the ledger's file."""
        faults.disarm()
        os.close(self.service._lock)
        self.service.ledger.db.close()

    def stop(self):
        self.service.close()


@pytest.fixture
def serve(sc, clock):
    """serve(engine=None, **GradingService settings) -> a Running service; all stopped after the test."""
    started = []
    environment = course.nbgrader_environment()
    environment.__enter__()

    def start(engine=None, **overrides):
        running = Running(sc, clock, engine or FakeEngine(), **overrides)
        started.append(running)
        return running

    yield start
    for running in started:
        try:
            running.stop()
        except Exception:  # noqa: BLE001,S110 -- crashed ones are closed already
            pass
    faults.disarm()
    environment.__exit__(None, None, None)
