"""The moto server every local stack runs applies DynamoDB's conditional writes atomically, as DynamoDB does
(chalicelib/devstack/moto_atomic.py). Plain moto does not: six threads racing one conditional claim each of
60 rounds had two or more winners in 27 rounds; Levante's exactly-once claims depend on exactly one."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.devstack.moto_atomic import server_argv
from chalicelib.devstack.process_groups import ProcessGroups, free_port, http_answers, wait_until

ROOT = Path(__file__).resolve().parents[2]
RACERS = 6
ROUNDS = 40


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    processes = ProcessGroups(tmp_path)
    port = free_port()
    processes.start("moto", server_argv("127.0.0.1", port), env=dict(os.environ), cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_answers(f"{url}/moto-api/data.json"), timeout=30, what="moto server")
        yield url
    finally:
        assert not processes.kill_all(), "moto server survived"


NAMES = {f"#a{i}": f"a{i}" for i in range(15)}  # a claim-sized update: the wider the write, the wider the race


def race(clients: list, key: str) -> list[int]:
    """Every client tries the same conditional claim of `key` at once; the racers whose write succeeded."""
    winners: list[int] = []
    start = threading.Barrier(len(clients))

    def claim(racer: int) -> None:
        values = {f":v{i}": {"S": str(racer)} for i in range(15)}
        start.wait()
        try:
            clients[racer].update_item(
                TableName="claims", Key={"pk": {"S": key}}, ConditionExpression="attribute_not_exists(#a0)",
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(15)),
                ExpressionAttributeNames=NAMES, ExpressionAttributeValues=values)
            winners.append(racer)
        except clients[racer].exceptions.ConditionalCheckFailedException:
            pass

    threads = [threading.Thread(target=claim, args=(racer,)) for racer in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_of_racing_conditional_claims_on_one_item_exactly_one_wins(endpoint: str) -> None:
    import boto3

    def client():
        return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    setup = client()
    setup.create_table(TableName="claims", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
    clients = [client() for _ in range(RACERS)]
    rounds = {f"task-{n}": race(clients, f"task-{n}") for n in range(ROUNDS)}

    assert {key: len(winners) for key, winners in rounds.items()} == {key: 1 for key in rounds}
    for key, [winner] in rounds.items():  # and the item holds the one winner's write, whole
        item = setup.get_item(TableName="claims", Key={"pk": {"S": key}})["Item"]
        assert {item[f"a{i}"]["S"] for i in range(15)} == {str(winner)}
