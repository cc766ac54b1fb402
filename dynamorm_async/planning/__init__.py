"""Planning: pure functions from what a user asked to the requests that do it.

* :mod:`.reads` chooses an access path (GetItem, BatchGetItem, Query, Scan) and builds
  its request (:class:`~dynamorm_async.planning.reads.Plan`);
* :mod:`.gets` builds the ``GetItem`` request and a read's projection (what a read by key
  needs, without the planner or the expression compiler);
* :mod:`.writes` builds each single-item write request, once
  (:class:`~dynamorm_async.planning.writes.Write`), for single writes, the update builder,
  transactions and batches;
* :mod:`.batches` cuts batch reads and writes into requests DynamoDB accepts;
* :mod:`.lifecycle` holds the rules for versions and timestamps the write planner applies.

Nothing here sends a request or imports the session, engine or transport: the operations
above (queries, transactions, batches, the DB facade) send what was planned.
"""
