"""Running on AWS Lambda: the handler adapter, invocation deadlines and environment config."""
