"""An async payments service on DynamoDB: models, service logic and a Lambda handler.

Run it locally, against an embedded DynamoDB-compatible server, with
``python -m examples.payments``.
"""
