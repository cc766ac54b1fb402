"""Deploying models: CloudFormation/SAM table resources, a Lambda layer, a CDK construct.

Nothing here is imported by ``import dynamorm_async``; the ``dynamorm-async`` command and
your own build scripts import the part they use.
"""
