"""Small rendered template fields ride on the try's final write to its task-instance item (#17: the S3 PUT
per try was $5 of ~$14 per million tasks); large ones go to S3; every try reads back its own fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.conftest import run_path

DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def echo(**kwargs):
    return None


def fails_first(attempt, ti):
    if ti.try_number == 1:
        raise ValueError("the first try fails")


with DAG("rendering", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    PythonOperator(task_id="small", python_callable=echo, op_kwargs={"run": "{{ run_id }}", "note": "caf\\u00e9"})
    PythonOperator(task_id="large", python_callable=echo, op_kwargs={"pad": "{{ params.pad }}"},
                   params={"pad": "x" * 3000})
    PythonOperator(task_id="retried", python_callable=fails_first, op_kwargs={"attempt": "{{ ti.try_number }}"},
                   retries=1, retry_delay=0)
'''


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "rendering.py").write_text(DAG)
    return folder


@pytest.fixture
def rendered_puts(stack) -> list[str]:
    """Keys of every S3 PUT of rendered fields the worker makes (a botocore hook on its S3 client)."""
    keys: list[str] = []

    def record(params, **_):
        if params["Key"].endswith(".rendered.json"):
            keys.append(params["Key"])

    stack.backend.blobs.client.meta.events.register("before-parameter-build.s3.PutObject", record)
    return keys


def _fields(api, task_id: str, try_number: int) -> dict:
    reply = api.get(run_path("rendering", "r1") + f"/taskInstances/{task_id}/renderedFields/{try_number}")
    assert reply.status == 200, reply
    return reply.json["rendered_fields"]


def _stored_objects(stack) -> set[str]:
    listed = stack.backend.blobs.client.list_objects_v2(Bucket=stack.backend.settings.bucket, Prefix="logs/")
    return {o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".rendered.json")}


def test_small_fields_are_kept_on_the_item_large_ones_in_s3_and_each_try_reads_its_own(api, stack, rendered_puts):
    from chalicelib.services.task_views import rendered_fields
    from chalicelib.store.blobs import rendered_fields_key

    stack.trigger("rendering", run_id="r1")
    stack.drain()
    assert {t: s for t, s in stack.states("rendering", "r1").items()} == {
        "small": ("success", 1), "large": ("success", 1), "retried": ("success", 2)}

    small = stack.backend.runs.task_instance("rendering", "r1", "small")
    assert int(small.rendered_try) == 1
    assert _fields(api, "small", 1)["op_kwargs"] == {"run": "r1", "note": "café"}
    # Identical through the service and the API, and exactly what the item holds (no S3 object of its own).
    assert rendered_fields(stack.backend, "rendering", "r1", "small", 1) == json.loads(small.rendered_inline)
    assert _fields(api, "small", 1) == json.loads(small.rendered_inline)

    large = stack.backend.runs.task_instance("rendering", "r1", "large")
    assert large.rendered_inline is None
    assert _fields(api, "large", 1)["op_kwargs"] == {"pad": "x" * 3000}

    # The retry's second try shows its own fields, the first try still its own: try 1's inline copy moved to
    # its S3 object when try 2's replaced it on the item.
    retried = stack.backend.runs.task_instance("rendering", "r1", "retried")
    assert int(retried.rendered_try) == 2
    assert _fields(api, "retried", 1)["op_kwargs"] == {"attempt": "1"}
    assert _fields(api, "retried", 2)["op_kwargs"] == {"attempt": "2"}

    # S3 PUTs: the large rendering, and the retried task's first try moved off the item; none for small ones.
    expected = {rendered_fields_key("rendering", "r1", "large", 1), rendered_fields_key("rendering", "r1", "retried", 1)}
    assert sorted(rendered_puts) == sorted(expected)
    assert _stored_objects(stack) == expected


def test_with_inlining_off_every_rendering_goes_to_s3_and_reads_the_same(api, stack, rendered_puts):
    from dataclasses import replace

    from chalicelib.store.blobs import rendered_fields_key

    stack.backend.settings = replace(stack.backend.settings, rendered_inline_bytes=0)
    stack.trigger("rendering", run_id="r1")
    stack.drain()
    assert stack.backend.runs.task_instance("rendering", "r1", "small").rendered_inline is None
    assert _fields(api, "small", 1)["op_kwargs"] == {"run": "r1", "note": "café"}
    assert _fields(api, "retried", 1)["op_kwargs"] == {"attempt": "1"}
    assert _fields(api, "retried", 2)["op_kwargs"] == {"attempt": "2"}
    assert rendered_fields_key("rendering", "r1", "small", 1) in rendered_puts
    assert len(rendered_puts) == 4  # small, large and both tries of retried


def test_an_earlier_try_without_its_object_answers_none_as_before(api, stack):
    """The item holds only the latest try's copy: an earlier try whose object is gone (stored before this
    change, or never) answers as a missing one always did, never with another try's fields."""
    from chalicelib.store.blobs import rendered_fields_key

    stack.trigger("rendering", run_id="r1")
    stack.drain()
    stack.backend.blobs.client.delete_object(Bucket=stack.backend.settings.bucket,
                                             Key=rendered_fields_key("rendering", "r1", "retried", 1))
    assert int(stack.backend.runs.task_instance("rendering", "r1", "retried").rendered_try) == 2
    reply = api.get(run_path("rendering", "r1") + "/taskInstances/retried/renderedFields/1")
    assert reply.status == 200 and reply.json["rendered_fields"] is None
