"""Deployment to AWS: the Lambda target, global names, IAM policies, the package and the CloudFormation executor.

Nothing here runs inside Lambda: the package leaves this folder out (see packaging.py).
"""
