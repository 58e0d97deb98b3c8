"""Cases: service requests with a workflow, assignment and an SLA clock."""
