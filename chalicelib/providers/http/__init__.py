"""apache-airflow-providers-http: HttpHook, HttpOperator (SimpleHttpOperator), HttpSensor."""
