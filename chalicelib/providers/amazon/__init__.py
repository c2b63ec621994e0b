"""apache-airflow-providers-amazon, the parts Levante runs: S3, SQS, SNS, Step Functions (Lambda lives in
chalicelib/sdk/operators/aws_lambda.py)."""
