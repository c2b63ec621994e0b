"""Kinds of mapped input: a cross product of two lists (the last varies fastest), a dict (key, value pairs),
partial() fixed arguments, expand_kwargs over an upstream's list of dicts, and XComArg.map()."""

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_inputs", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def pair(letter: str, number: int) -> str:
        return f"{letter}{number}"

    @task
    def check_pairs(values) -> None:
        assert list(values) == ["a1", "a2", "a3", "b1", "b2", "b3"], list(values)

    check_pairs(pair.expand(letter=["a", "b"], number=[1, 2, 3]))

    @task
    def entry(item) -> str:
        key, value = item
        return f"{key}={value}"

    @task
    def check_entries(values) -> None:
        assert sorted(values) == ["x=1", "y=2"], list(values)

    check_entries(entry.expand(item={"x": 1, "y": 2}))

    @task
    def scaled(x: int, factor: int) -> int:
        return x * factor

    @task
    def check_scaled(values) -> None:
        assert list(values) == [10, 20], list(values)

    check_scaled(scaled.partial(factor=10).expand(x=[1, 2]))

    @task
    def configs() -> list[dict]:
        return [{"x": 1, "factor": 7}, {"x": 2, "factor": 8}]

    @task
    def check_kwargs(values) -> None:
        assert list(values) == [7, 16], list(values)

    check_kwargs(scaled.override(task_id="scaled_kwargs").expand_kwargs(configs()))

    @task
    def words() -> list[str]:
        return ["alpha", "beta"]

    @task
    def shout(word: str) -> str:
        return word

    @task
    def check_shouts(values) -> None:
        assert list(values) == ["ALPHA!", "BETA!"], list(values)

    check_shouts(shout.expand(word=words().map(lambda w: w.upper() + "!")))
