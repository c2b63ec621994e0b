"""Classic operators mapped with .partial().expand() and .expand_kwargs(), and a templated reduce."""

import pendulum

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, BaseOperator


class Increment(BaseOperator):
    def __init__(self, value, step=1, **kwargs):
        super().__init__(**kwargs)
        self.value = value
        self.step = step

    def execute(self, context):
        return self.value + self.step


class Total(BaseOperator):
    template_fields = ("values",)

    def __init__(self, values, expected, **kwargs):
        super().__init__(**kwargs)
        self.values = values
        self.expected = expected

    def execute(self, context):
        total = sum(self.values)
        assert total == self.expected, (list(self.values), total)
        return total


def show(a, b):
    print(a, b)
    return a * b


with DAG("mapping_classic_operators", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    incremented = Increment.partial(task_id="increment", step=10).expand(value=[1, 2, 3])
    Total(task_id="total", values=incremented.output, expected=36)
    BashOperator.partial(task_id="echo", retries=0).expand(bash_command=["echo one", "echo two", 'test "{{ ti.map_index }}" = 2'])
    PythonOperator.partial(task_id="multiply", python_callable=show).expand_kwargs(
        [{"op_kwargs": {"a": 2, "b": 3}}, {"op_kwargs": {"a": 4, "b": 5}}]
    )
