"""TaskFlow XCom passing: plain return values, multiple_outputs, dict-typed returns, fan-in."""
import pendulum

from airflow.sdk import dag, task


@dag(
    dag_id="taskflow_xcom",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["conformance"],
)
def taskflow_xcom():
    @task
    def extract():
        return [1, 2, 3, 4]

    @task(multiple_outputs=True)
    def stats(values):
        return {"total": sum(values), "count": len(values)}

    @task
    def split(values) -> dict[str, int]:
        # dict return type hint => multiple_outputs inferred
        return {"first": values[0], "last": values[-1]}

    @task
    def mean(total, count):
        assert total == 10 and count == 4, (total, count)
        return total / count

    @task
    def check_split(first, last, whole):
        assert first == 1 and last == 4, (first, last)
        assert whole == {"first": 1, "last": 4}, whole

    @task
    def report(avg, values):
        assert avg == 2.5, avg
        assert values == [1, 2, 3, 4], values
        return f"avg={avg}"

    values = extract()
    s = stats(values)
    avg = mean(s["total"], s["count"])
    parts = split(values)
    check_split(parts["first"], parts["last"], parts)
    report(avg, values)


taskflow_xcom()
