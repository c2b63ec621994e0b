"""A running try's log is readable while it runs (#16 item 3): the supervisor publishes it through LiveLog."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws

from chalicelib.runner.supervisor import supervise
from chalicelib.services.live_log import LiveLog
from chalicelib.store.blobs import BlobStore
from chalicelib.store.settings import Settings

KEY = "logs/dag_id=d/run_id=r/task_id=t/attempt=1.log"


@pytest.fixture
def blobs():
    with mock_aws():
        settings = Settings(region="us-east-1")
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=settings.bucket)
        yield BlobStore(settings)


def test_the_log_is_published_while_the_task_still_runs(blobs):
    release_read, release_write = os.pipe()

    def child(channel):
        channel.log("first line\n")
        os.read(release_read, 1)  # blocks until the parent has seen the first line in S3
        channel.log("second line\n")
        os.read(release_read, 1)  # and until it has seen the second one
        return "done"

    live = LiveLog(blobs, KEY, interval=0.1)
    seen_while_running: list[str | None] = []

    def on_log(supervised):
        live(supervised)
        stored = blobs.get_text(KEY) if live.published else None
        if stored is not None and (not seen_while_running or stored != seen_while_running[-1]):
            seen_while_running.append(stored)
            os.write(release_write, b"x")

    outcome = supervise(child, on_log=on_log)
    assert outcome.report == "done"
    # each stored before the task went on: the later lines follow while it runs
    assert seen_while_running == ["first line\n", "first line\nsecond line\n"]


class _Log:
    def __init__(self, text: str):
        self.log = text


def test_flushes_are_spaced_and_grow_with_the_log(blobs):
    clock = [100.0]
    live = LiveLog(blobs, KEY, interval=3.0, clock=lambda: clock[0])
    live(_Log("a\n"))
    assert blobs.get_text(KEY) is None  # not before one interval: a short try is never published while it runs
    clock[0] += 3
    live(_Log("a\n"))
    assert blobs.get_text(KEY) == "a\n"
    clock[0] += 1
    live(_Log("a\nb\n"))
    assert blobs.get_text(KEY) == "a\n"  # not before the interval
    clock[0] += 2
    live(_Log("a\nb\n"))
    assert blobs.get_text(KEY) == "a\nb\n"
    big = "x" * (2 * 1024 * 1024)
    clock[0] += 3
    live(_Log(big))
    assert blobs.get_text(KEY) == "a\nb\n"  # a 2 MiB log waits three intervals (9 s), not one
    clock[0] += 6
    live(_Log(big))
    assert blobs.get_text(KEY) == big
    clock[0] += 9
    live(_Log(big + "y"))
    assert blobs.get_text(KEY) == big + "y"


def test_nothing_new_means_no_write(blobs):
    calls = []
    blobs.put_log = lambda key, text: calls.append(text)
    live = LiveLog(blobs, KEY, interval=0.0001, clock=iter(range(100)).__next__)
    for _ in range(5):
        live(_Log("same\n"))
    assert calls == ["same\n"]
